#!/usr/bin/env bash
# The "Done when" checks of issues 2-7, by hand as a user would: curl, dig, edgeway.
# Start the stack first (`make run`, default ports), then from the repository root:
#   bash tests/acceptance/done_when.sh
# It prints what each request answered; read it against the issues (it asserts nothing).
# Needs curl and dig (Debian: bind9-dnsutils); the sleep-31 check of a revoked key ends it.
set -u
E=.venv/bin/edgeway
H=http://127.0.0.1:3000
code() { curl -s -o /dev/null -w "%{http_code}" "$@"; }
hdr() { curl -s -D - -o /dev/null "$@" | tr -d '\r'; }
echo "== issue 2"
curl -s -i $H/health | tr -d '\r' | grep -E "^HTTP|x-request-id|x-edgeway-region|status"
TOK=$($E token --sub alice --scope "users:read orders:read orders:write")
echo "users/42 with token: $(code -H "authorization: Bearer $TOK" $H/v1/users/42)"
hdr -H "authorization: Bearer $TOK" $H/v1/users/42 | grep -iE "x-cache|^ratelimit|x-request-id|x-edgeway-region"
$E invoke UsersFunction -e events/users_get.json | head -c 200; echo
sed 's/    methods: \[GET\]/    methodz: [GET]/' gateway.yaml > /tmp/bad-gw.yaml
$E serve --config /tmp/bad-gw.yaml --port 3900 >/dev/null 2>/tmp/bad-gw.err; echo "bad config exit $? : $(head -c 200 /tmp/bad-gw.err)"
echo "== issue 3"
echo "no creds: $(code $H/v1/users/42)"; hdr $H/v1/users/42 | grep -i www-authenticate
TOK2=$($E token --sub bob --scope "orders:read")
echo "wrong scope: $(code -H "authorization: Bearer $TOK2" $H/v1/users/42)"; hdr -H "authorization: Bearer $TOK2" $H/v1/users/42 | grep -i www-authenticate
KJ=$($E keys create --consumer verify-$RANDOM --plan free --json); K=$(echo "$KJ" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])'); KID=$(echo "$KJ" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
echo "new key: $(code -H "x-api-key: $K" $H/v1/users/42)"
$E keys revoke $KID >/dev/null; echo "revoked key at once: $(code -H "x-api-key: $K" $H/v1/users/42)"; (sleep 31; echo "revoked key after the 30 s cache bound: $(code -H "x-api-key: $K" $H/v1/users/42)") &
echo "== issue 4"
C=trial-$RANDOM; TK=$($E keys create --consumer $C --plan trial --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
for i in $(seq 1 11); do P=$([ $((i % 2)) = 0 ] && echo 3002 || echo 3000); printf "%s " $(code -H "x-api-key: $TK" "http://127.0.0.1:$P/v1/orders?user_id=7"); done; echo
hdr -H "x-api-key: $TK" "$H/v1/orders?user_id=7" | grep -iE "^HTTP|retry-after|^ratelimit"
C2=trial-$RANDOM; TK2=$($E keys create --consumer $C2 --plan trial --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
seq 1 20 | xargs -P 20 -I{} curl -s -o /dev/null -w "%{http_code}\n" -H "x-api-key: $TK2" "$H/v1/orders?user_id=7" | sort | uniq -c
$E usage --consumer $C | head -5
echo "== issue 5"
echo "users/abc: $(code -H "authorization: Bearer $TOK" $H/v1/users/abc)"
python3 -c 'import json; print(json.dumps({"user_id": 1, "item": "x"*2000000, "quantity": 1}))' > /tmp/big.json
echo "2 MB body: $(code -X POST -H "authorization: Bearer $TOK" -H 'content-type: application/json' --data-binary @/tmp/big.json $H/v1/orders)"
curl -s -X POST -H "authorization: Bearer $TOK" -H 'content-type: application/json' -d '{"user_id":0,"item":"","quantity":1000,"x":1}' $H/v1/orders | head -c 600; echo
echo "valid order: $(code -X POST -H "authorization: Bearer $TOK" -H 'content-type: application/json' -d '{"user_id":7,"item":"book","quantity":2}' $H/v1/orders)"
hdr -X OPTIONS -H 'origin: http://localhost:8080' -H 'access-control-request-method: POST' $H/v1/orders | grep -iE "^HTTP|access-control"
$E openapi > /tmp/openapi.json && .venv/bin/python -c "
from openapi_spec_validator import validate; import json; validate(json.load(open('/tmp/openapi.json'))); print('openapi valid')"
echo "== issue 6"
hdr -H "authorization: Bearer $TOK" $H/v1/dashboard/42 | grep -iE "^HTTP|x-edgeway-complete"
curl -s -H "authorization: Bearer $TOK" -H "x-demo-fail: 1" -D /tmp/dash.h $H/v1/dashboard/42 | head -c 400; echo; grep -i x-edgeway-complete /tmp/dash.h
hdr -H "authorization: Bearer $TOK" $H/v1/users/$((RANDOM+100)) >/dev/null
ID=$((RANDOM+100)); hdr -H "authorization: Bearer $TOK" $H/v1/users/$ID | grep -i x-cache; sleep 2; hdr -H "authorization: Bearer $TOK" $H/v1/users/$ID | grep -iE "x-cache|^age"
echo "== issue 7"
dig @127.0.0.1 -p 5353 api.edgeway.test A +short
dig @127.0.0.1 -p 5353 api.edgeway.test A +subnet=198.51.100.0/24 | grep -E "CLIENT-SUBNET|^api"
dig @127.0.0.1 -p 5353 api.edgeway.test TXT +short
dig @127.0.0.1 -p 5353 example.com A | grep status
dig @127.0.0.1 -p 5353 nope.api.edgeway.test A | grep status
curl -s "$H/gslb/resolve?ip=198.51.100.7" | head -c 300; echo
top() { curl -s "$H/gslb/resolve?ip=198.51.100.7" | python3 -c 'import json,sys; print(json.load(sys.stdin)["region"])'; }
$E region down eu-west-1; T0=$(date +%s.%N)
for i in $(seq 1 150); do [ "$(top)" = eu-west-1 ] || break; sleep 0.1; done
echo "failover after $(python3 -c "import time; print(round(time.time()-$T0,2))") s -> $(top)"
$E region up eu-west-1; T0=$(date +%s.%N)
for i in $(seq 1 150); do [ "$(top)" = eu-west-1 ] && break; sleep 0.1; done
echo "back after $(python3 -c "import time; print(round(time.time()-$T0,2))") s -> $(top)"
python3 - <<'PY'
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(500):
    s.sendto(os.urandom(os.urandom(1)[0] + 1), ("127.0.0.1", 5353))
t = socket.create_connection(("127.0.0.1", 5353)); t.sendall(os.urandom(3000)); t.close()
print("sent 500 garbage datagrams and a garbage TCP stream")
PY
dig @127.0.0.1 -p 5353 api.edgeway.test A +short; dig @127.0.0.1 -p 5353 api.edgeway.test AAAA +tcp +short
$E gslb status | head -12
wait
