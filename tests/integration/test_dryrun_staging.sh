#!/usr/bin/env bash
# renew --dry-run against a CA's staging environment: a CA profile that names a staging profile
# (ca add --staging) with an account there is renewed all the way at staging (a certificate is
# issued there, none at the real CA) and nothing is written; without a staging account the dry
# run validates at the real CA without finalizing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pebble.sh"

pebble_start prod
PROD_DIR=$PEBBLE_DIR_URL PROD_BUNDLE=$PEBBLE_CA_BUNDLE PROD_LOG=$PEBBLE_LOG PROD_HTTP=$PEBBLE_HTTP_PORT
PEBBLE_USE_HTTP_PORT=$PROD_HTTP pebble_start stg   # one http-01 responder port for both
STG_DIR=$PEBBLE_DIR_URL STG_BUNDLE=$PEBBLE_CA_BUNDLE STG_LOG=$PEBBLE_LOG STG_HTTP=$PEBBLE_HTTP_PORT
# pebble certificates live 5 years: --force makes the renewal due.
finalizes() { grep -c "POST /finalize-order/" "$1" || true; }

step "set-up: prod names stg as its staging profile; a certificate from prod"
new_vault
expect_exit 10 certctl ca add prod --directory "$PROD_DIR" --ca-bundle "$PROD_BUNDLE" --staging nosuch
expect_exit 2 certctl ca add prod --directory "$PROD_DIR" --ca-bundle "$PROD_BUNDLE" --staging prod
expect_ok certctl ca add stg --directory "$STG_DIR" --ca-bundle "$STG_BUNDLE"
expect_ok certctl ca add prod --directory "$PROD_DIR" --ca-bundle "$PROD_BUNDLE" --staging stg
expect_ok certctl ca show prod --json
json_check 'd["staging"] == "stg"'
expect_ok certctl account register --ca prod --email ops@example.com --agree-tos
expect_ok certctl issue web --domain web.example.test --ca prod --http-port "$PROD_HTTP" --http-address 127.0.0.1

step "no account at staging: the dry run validates at prod without finalizing"
expect_ok certctl renew   # nothing due; makes the renew lock file, so the digest below sees only the dry run
expect_ok certctl list
DIGEST=$(vault_digest)
F_PROD=$(finalizes "$PROD_LOG")
expect_ok certctl renew web --force --dry-run --json
json_check '[(i["name"], i["outcome"], i["issued_by"]) for i in d["items"]] == [("web", "validated", "prod")]'
assert_eq "$(finalizes "$PROD_LOG")" "$F_PROD" "finalize requests at prod"
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after the dry run"

step "with an account at staging: the dry run issues there, and only there"
expect_ok certctl account register --ca stg --email ops@example.com --agree-tos
expect_ok certctl list
DIGEST=$(vault_digest)
F_STG=$(finalizes "$STG_LOG")
F_PROD=$(finalizes "$PROD_LOG")
expect_ok certctl renew web --force --dry-run --json
json_check '[(i["name"], i["outcome"], i["issued_by"]) for i in d["items"]] == [("web", "validated", "stg")]'
(($(finalizes "$STG_LOG") > F_STG)) || fail "no order was finalized at staging"
pass
assert_eq "$(finalizes "$PROD_LOG")" "$F_PROD" "finalize requests at prod"
assert_eq "$(vault_digest)" "$DIGEST" "vault digest after the staging dry run"
expect_ok certctl orders web --json
json_check '[o["ca"] for o in d] == ["prod"]'   # a dry run logs no order

step "the real renewal still goes to prod"
expect_ok certctl renew web --force --json
json_check '[(i["name"], i["outcome"], i["issued_by"]) for i in d["items"]] == [("web", "renewed", "prod")]'
