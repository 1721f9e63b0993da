#!/usr/bin/env bash
# An offline walk-through of orgctl against the sandbox: start local DNS
# servers and a web server on 127.0.0.1, create a code, watch verification
# fail, publish the file and see the HTTP method pass, publish the record and
# see the DNS method pass, provision users to the sandbox's SCIM service one by
# one and then a whole directory with scim sync (dry run, apply, a change, a
# re-run that writes nothing), stop the sandbox. Nothing leaves this machine.
set -euo pipefail

orgctl=$(realpath "${1:-bin/orgctl}")
work=$(mktemp -d "${TMPDIR:-/tmp}/orgctl-demo.XXXXXX")
sandbox_pid=

cleanup() {
	if [ -n "$sandbox_pid" ] && kill -0 "$sandbox_pid" 2>/dev/null; then
		kill -INT "$sandbox_pid"
		wait "$sandbox_pid" || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

step() { if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then printf '\n\033[1m==> %s\033[0m\n' "$*"; else printf '\n==> %s\n' "$*"; fi; }
show() { printf '$ %s\n' "$*"; "$@"; }

export ORGCTL_STATE_DIR="$work/state"
export NO_COLOR=${NO_COLOR:-}

step "Start the sandbox: an authoritative server, a resolver, a web server and a SCIM service on 127.0.0.1"
"$orgctl" sandbox --dir "$work/zones" --env-file "$work/sandbox.env" &
sandbox_pid=$!
for _ in $(seq 100); do
	[ -s "$work/sandbox.env" ] && break
	sleep 0.1
done
[ -s "$work/sandbox.env" ] || { echo "demo: the sandbox did not start" >&2; exit 1; }
set -a
# shellcheck disable=SC1091
. "$work/sandbox.env"
set +a
sleep 0.2

step "Generate a verification code for example.test"
show "$orgctl" code new example.test

expect_status() {
	local want=$1
	shift
	set +e
	show "$@"
	local status=$?
	set -e
	echo "exit status: $status"
	[ "$status" -eq "$want" ] || { echo "demo: expected exit status $want, got $status" >&2; exit 1; }
}

step "Verify before publishing: DNS, then HTTP; expected to fail (exit status 3)"
expect_status 3 "$orgctl" verify example.test

step "The file method: a common mistake first — the file saved with a byte-order mark"
webfile="$work/zones/web/example.test/logmein-verification-code.txt"
printf '$ printf '"'"'\\xef\\xbb\\xbf%%s\\r\\n'"'"' "$(orgctl code show example.test --file)" > %s\n' "$webfile"
printf '\xef\xbb\xbf%s\r\n' "$("$orgctl" code show example.test --file)" >"$webfile"
expect_status 3 "$orgctl" verify http example.test

step "A DNS mistake too: the record copied from a chat message (smart quotes) onto the host www"
zone="$work/zones/example.test.zone"
printf 'www IN TXT "“%s”"\n' "$("$orgctl" code show example.test --file)" | tee -a "$zone"
sleep 0.3

step "What support staff run: orgctl diagnose explains each mistake, its bytes, why it fails and the fix (exit status 3)"
expect_status 3 "$orgctl" diagnose example.test

step "Publish the file as it should be: exactly the code"
printf '$ %s code show example.test --file > %s\n' "$orgctl" "$webfile"
"$orgctl" code show example.test --file >"$webfile"
expect_status 0 "$orgctl" verify http example.test -v

step "The DNS method: append the record to the sandbox's zone file"
"$orgctl" code show example.test --records | tee -a "$zone"
# Let the servers notice the edit (they re-read the directory at most every 200ms).
sleep 0.3

step "Verify the record: passes (exit status 0)"
expect_status 0 "$orgctl" verify dns example.test -v
show "$orgctl" verify dns example.test -o json

step "The history kept for the code"
show "$orgctl" code show example.test

step "Provision users to the sandbox's SCIM service (ORGCTL_SCIM_URL and ORGCTL_SCIM_TOKEN come from its env file)"
show "$orgctl" scim test
show "$orgctl" scim users create --user-name alice@example.test --given-name Alice --family-name Liddell --department Research
show "$orgctl" scim users create --user-name bob@example.test --given-name Bob --family-name Builder
show "$orgctl" scim users create --user-name carol@example.test --given-name Carol --family-name Danvers
show "$orgctl" scim groups create Engineering --member alice@example.test --member bob@example.test --member carol@example.test
show "$orgctl" scim users update alice@example.test --department Mathematics
show "$orgctl" scim groups remove-members Engineering bob@example.test
show "$orgctl" scim users deactivate bob@example.test
show "$orgctl" scim groups get Engineering
show "$orgctl" scim users list

step "Provision a whole directory from a file: orgctl scim sync runs one provisioning cycle, as Entra ID does"
users="$work/users.csv"
cat >"$users" <<'CSV'
userName,externalId,active,name.givenName,name.familyName,department,employeeNumber,groups
alice@example.test,e-1,true,Alice,Liddell,Mathematics,00017,Engineering; Readers
bob@example.test,e-2,true,Bob,Builder,Construction,00042,Engineering
carol@example.test,e-3,true,Carol,Danvers,"Flight, Test",00099,Engineering
dave@example.test,e-4,true,Dave,O'Brien,Support,00100,Readers
Erin@Example.Test,e-5,true,Érin,Müller,Research,00101,Readers
mallory@unverified.test,e-6,true,Mallory,Mallet,Sales,00666,Readers
CSV
show cat "$users"

step "A dry run first: the plan (alice, bob and carol exist already and are adopted; mallory's domain is not verified)"
expect_status 0 "$orgctl" scim sync "$users" --dry-run -v

step "Apply the plan"
expect_status 0 "$orgctl" scim sync "$users"

step "The directory changes: carol moves to Support, dave leaves (he is deactivated, not deleted)"
sed -i -e 's/"Flight, Test",00099,Engineering/Support,00099,Engineering; Readers/' -e '/^dave@/d' "$users"
show cat "$users"
expect_status 0 "$orgctl" scim sync "$users" --dry-run -v
expect_status 0 "$orgctl" scim sync "$users"

step "Run it again: an unchanged source sends no write request"
expect_status 0 "$orgctl" scim sync "$users"
show "$orgctl" scim groups get Readers

step "A source with a mistake is refused before anything is sent (exit status 2)"
printf 'userName,active\nfrank@example.test,yes\n' >"$work/bad.csv"
expect_status 2 "$orgctl" scim sync "$work/bad.csv"

step "Stop the sandbox"
kill -INT "$sandbox_pid"
wait "$sandbox_pid"
sandbox_pid=
echo "demo: done"
