#!/usr/bin/python3
# Print, one per line, the curl arguments of one Azure Blob request signed
# with Shared Key (Microsoft's "Authorize with Shared Key", version
# 2021-08-06), for `bench real-storage`'s curl reference against azurite:
#   azure_sign.py BASE create CONTAINER 0      Create Container
#   azure_sign.py BASE put CONTAINER/BLOB LEN  Put Blob (curl -T FILE adds the body)
#   azure_sign.py BASE get CONTAINER/BLOB 0    Get Blob
# BASE is azurite's http://127.0.0.1:PORT (path-style: the account is the
# first path segment). The account is Azurite's public development account.
import base64, hashlib, hmac, sys
from email.utils import formatdate
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
base, what, path, length = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
verb = {"create": "PUT", "put": "PUT", "get": "GET"}[what]
hdrs = {"x-ms-date": formatdate(usegmt=True), "x-ms-version": "2021-08-06"}
if what == "put":
    hdrs["x-ms-blob-type"] = "BlockBlob"
query = {"restype": "container"} if what == "create" else {}
resource = "/%s/%s/%s" % (ACCOUNT, ACCOUNT, path)
for k in sorted(query):
    resource += "\n%s:%s" % (k, query[k])
canon = "".join("%s:%s\n" % (k, hdrs[k]) for k in sorted(hdrs))
clen = str(length) if length else ""
sts = "\n".join([verb, "", "", clen, "", "", "", "", "", "", "", ""]) + "\n" + canon + resource
sig = base64.b64encode(hmac.new(base64.b64decode(KEY), sts.encode(), hashlib.sha256).digest()).decode()
args = ["-X", verb]
for k, v in hdrs.items():
    args += ["-H", "%s: %s" % (k, v)]
args += ["-H", "Authorization: SharedKey %s:%s" % (ACCOUNT, sig)]
if what == "create":
    args += ["-H", "Content-Length: 0"]
url = "%s/%s/%s" % (base, ACCOUNT, path) + ("?restype=container" if query else "")
args.append(url)
print("\n".join(args))
