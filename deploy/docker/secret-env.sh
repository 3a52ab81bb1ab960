#!/bin/sh
# Read the install's secrets from files (Docker or Kubernetes secrets) into the environment
# of the command, never onto its command line: HELPDESK_SECRET_KEY from
# /run/secrets/helpdesk_secret_key (or HELPDESK_SECRET_KEY_FILE), and the database password, if given, into the URL's
# libpq variable PGPASSWORD.
set -eu
key_file="${HELPDESK_SECRET_KEY_FILE:-/run/secrets/helpdesk_secret_key}"
if [ -r "$key_file" ]; then
  HELPDESK_SECRET_KEY="$(cat "$key_file")"
  export HELPDESK_SECRET_KEY
fi
if [ -r /run/secrets/postgres_password ]; then
  PGPASSWORD="$(cat /run/secrets/postgres_password)"
  export PGPASSWORD
fi
exec "$@"
