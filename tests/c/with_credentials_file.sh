#!/usr/bin/env bash
# Runs a command against the emulator of a ctest fixture the way a user who
# has only the oascmd credentials file does:
#   with_credentials_file.sh <state dir> <command> [arg...]
# makes a temporary HOME holding nothing but .oascredentials (host and port
# of the emulator from <state dir>/url, its default credential), removes
# every OAS_* and ALIBABA_CLOUD_* variable from the environment, and runs the
# command with that HOME.
set -euo pipefail
dir="$1"
shift
[[ -s "$dir/url" ]] || { echo "no emulator URL in $dir/url (the fixture did not start)" >&2; exit 1; }
url="$(cat "$dir/url")"
hostport="${url#http://}"
home="$(mktemp -d "${TMPDIR:-/tmp}/oas-home.XXXXXX")"
trap 'rm -rf "$home"' EXIT
cat >"$home/.oascredentials" <<CREDENTIALS
[OASCredentials]
host = ${hostport%:*}
port = ${hostport##*:}
accessid = OASEMULATORTESTID
accesskey = OASEmulatorTestSecret000000000000
CREDENTIALS
chmod 600 "$home/.oascredentials"
for var in $(compgen -e); do
  case "$var" in OAS_* | ALIBABA_CLOUD_*) unset "$var" ;; esac
done
HOME="$home" "$@"
