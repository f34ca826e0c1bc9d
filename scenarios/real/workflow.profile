# Real-mode profile for the workflow scenarios (table1-dag.ini,
# replan-dag.ini, fig6-storage.ini): every provider of providers-core.ini,
# providers-more.ini and provider-wavelength.ini served by `cloudmix emulate`
# on loopback, and the four stores of storage.ini on real storage servers
# written elsewhere, each on loopback:
#   aws-s3       moto_server's S3 API (SigV4 checked)
#   gcp-storage  s3rver, standing in for GCS's S3-interoperable XML API
#   azure-blob   azurite (Shared Key checked)
#   edge-redis   redis-server
# The @NAME@ ports are filled in by tests/integration/workflow_real.sh,
# which starts every server on a free port. See real/profile.h for the keys.
[profile]
description = cloudmix emulate for the functions; redis, moto, s3rver and azurite for the stores

[provider.edge-openfaas]
kind = openfaas
endpoint = http://127.0.0.1:@PORT@/edge-openfaas
function_name = {function}-{bin}

[provider.wavelength-openfaas]
kind = openfaas
endpoint = http://127.0.0.1:@PORT@/wavelength-openfaas
function_name = {function}-{bin}

[provider.aws-lambda]
kind = lambda
endpoint = http://127.0.0.1:@PORT@/aws-lambda
function_name = {function}-{bin}
region = us-east-1

[provider.aws-openfaas]
kind = openfaas
endpoint = http://127.0.0.1:@PORT@/aws-openfaas
function_name = {function}-{bin}

[provider.aws-fission]
kind = fission
endpoint = http://127.0.0.1:@PORT@/aws-fission
function_name = {function}-{bin}

[provider.azr-functions]
kind = azure
endpoint = http://127.0.0.1:@PORT@/azr-functions
function_name = {function}-{bin}
key_env = CLOUDMIX_DEMO_AZURE_KEY

[provider.azr-fission]
kind = fission
endpoint = http://127.0.0.1:@PORT@/azr-fission
function_name = {function}-{bin}

[provider.gcp-cloudrun]
kind = cloudrun
endpoint = http://127.0.0.1:@PORT@/gcp-cloudrun
function_name = {function}-{bin}
token_env = CLOUDMIX_DEMO_CLOUDRUN_TOKEN

[provider.gcp-openfaas]
kind = openfaas
endpoint = http://127.0.0.1:@PORT@/gcp-openfaas
function_name = {function}-{bin}

[store.aws-s3]
kind = s3
endpoint = http://127.0.0.1:@MOTO_PORT@
bucket = cloudmix-aws
region = us-east-1
access_key_env = CLOUDMIX_S3_ACCESS_KEY
secret_key_env = CLOUDMIX_S3_SECRET_KEY

[store.gcp-storage]
kind = gcs
endpoint = http://127.0.0.1:@S3RVER_PORT@
bucket = cloudmix-gcp
access_key_env = CLOUDMIX_GCS_ACCESS_KEY
secret_key_env = CLOUDMIX_GCS_SECRET_KEY

[store.azure-blob]
kind = azure-blob
endpoint = http://127.0.0.1:@AZURITE_PORT@
container = cloudmix-azure
account = devstoreaccount1
account_key_env = CLOUDMIX_AZURE_STORAGE_KEY

[store.edge-redis]
kind = redis
endpoint = redis://127.0.0.1:@REDIS_PORT@
