# Real-mode profile: every provider of the core scenarios (providers-core.ini
# and provider-wavelength.ini) served by `cloudmix emulate` on loopback.
# @PORT@ is replaced with the emulator's port by demo-real.sh and the tests
# (the emulator takes a free port). The emulator accepts any credentials, so
# the sources below name test variables; see real/profile.h for the keys.
[profile]
description = cloudmix emulate on loopback (the simulator's platform models in wall-clock time)

[provider.aws-lambda]
kind = lambda
endpoint = http://127.0.0.1:@PORT@/aws-lambda
function_name = {function}-{bin}
region = us-east-1

[provider.azr-functions]
kind = azure
endpoint = http://127.0.0.1:@PORT@/azr-functions
function_name = {function}-{bin}
key_env = CLOUDMIX_DEMO_AZURE_KEY

[provider.gcp-cloudrun]
kind = cloudrun
endpoint = http://127.0.0.1:@PORT@/gcp-cloudrun
function_name = {function}-{bin}
token_env = CLOUDMIX_DEMO_CLOUDRUN_TOKEN

[provider.edge-openfaas]
kind = openfaas
endpoint = http://127.0.0.1:@PORT@/edge-openfaas
function_name = {function}-{bin}

[provider.wavelength-openfaas]
kind = openfaas
endpoint = http://127.0.0.1:@PORT@/wavelength-openfaas
function_name = {function}-{bin}
