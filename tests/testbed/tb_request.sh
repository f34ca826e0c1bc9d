#!/bin/sh
# The updater's provision_cmd and commit_cmd on the testbed (fig10.sh):
# `tb_request.sh DIR provision|commit` hands the request to the testbed's
# script (DIR/req.KIND, holding CM_EPOCH), which owns the namespaces and
# the processes, and waits (30 s at most) for its answer DIR/resp.KIND:
# for provision, the new node's descriptor file (printed: the updater reads
# the last line), or FAIL (exit 1).
set -u
D=$1 K=$2
echo "${CM_EPOCH:-0}" >"$D/req.$K.new" && mv "$D/req.$K.new" "$D/req.$K" || exit 1
k=0
while [ ! -f "$D/resp.$K" ]; do
  k=$((k + 1)); [ $k -gt 300 ] && { echo "no answer from the testbed script in 30 s" >&2; exit 1; }
  sleep 0.1
done
r=$(cat "$D/resp.$K")
rm -f "$D/resp.$K"
[ "$r" = FAIL ] && { echo "the testbed refused (no namespace left)" >&2; exit 1; }
echo "$r"
