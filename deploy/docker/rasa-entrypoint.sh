#!/bin/sh
# Rasa's tokens, derived from the install's secret as every helpdesk process derives them
# (helpdesk.settings.Settings.internal_token: HMAC-SHA256 of "internal-token:<door>"):
# HELPDESK_RASA_TOKEN guards the gateway channel, HELPDESK_ACTIONS_TOKEN is sent to the
# action servers (endpoints.yml expands it). Neither is on a command line or in a file.
set -eu
key_file="${HELPDESK_SECRET_KEY_FILE:-/run/secrets/helpdesk_secret_key}"
test -r "$key_file" || { echo "rasa-entrypoint: $key_file is missing" >&2; exit 2; }
token() {
  python -c 'import hashlib, hmac, sys
key = open(sys.argv[1], "rb").read().rstrip(b"\n")  # as $(cat) reads it
print(hmac.new(key, b"internal-token:" + sys.argv[2].encode(), hashlib.sha256).hexdigest())' \
    "$key_file" "$1"
}
HELPDESK_RASA_TOKEN="$(token rasa)"
HELPDESK_ACTIONS_TOKEN="$(token actions)"
export HELPDESK_RASA_TOKEN HELPDESK_ACTIONS_TOKEN
if [ -r /run/secrets/postgres_password ]; then
  HELPDESK_PG_PASSWORD="$(cat /run/secrets/postgres_password)"
  export HELPDESK_PG_PASSWORD
fi
exec "$@"
