#!/usr/bin/env bash
# deps.sh installs the Debian packages that orgctl's tests against independent servers need
# (internal/peertest: BIND 9, Unbound, nginx with the echo module, Node for the SCIM peer). The SCIM
# peer's npm packages (scimmy, scimmy-routers, express) are not installed here but by `make deps`,
# which runs `npm ci --prefix internal/peertest/testdata/scimmy` after this script, as any user.
#
# It is idempotent: when every probe below is present it does not call apt-get at all. It never
# leaves the system daemons running: a policy-rc.d that exits 101 is in place during the install,
# and any bind9/named/unbound/nginx process that appears anyway is stopped by its pid. The tests run
# their own instances on 127.0.0.1 with their own configuration.
#
# Usage: sudo scripts/deps.sh
set -euo pipefail

# The single list: a Debian package, and the command (or file) whose presence shows it is installed.
# Only packages whose probe is missing are installed, so nodejs and npm are left alone when a Node
# (for example NodeSource's, which ships npm itself) is already there.
PACKAGES='
bind9                   named
bind9-utils             dnssec-signzone
bind9-dnsutils          dig
unbound                 unbound
nginx                   nginx
libnginx-mod-http-echo  /usr/lib/nginx/modules/ngx_http_echo_module.so
nodejs                  node
npm                     npm
'

# Daemons a postinst might start; stopped again if they appear during the install.
DAEMONS=(named unbound nginx)
SERVICES=(named bind9 unbound nginx)

log() { printf 'deps.sh: %s\n' "$*" >&2; }

# Non-root shells often lack the sbin directories where named, unbound and nginx live.
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

present() {
	case "$1" in
	/*) [[ -e "$1" ]] ;;
	*) command -v "$1" >/dev/null 2>&1 ;;
	esac
}

missing=()
while read -r pkg probe; do
	[[ -n "$pkg" ]] || continue
	if present "$probe"; then
		log "ok: $pkg ($probe)"
	else
		log "missing: $pkg ($probe not found)"
		missing+=("$pkg")
	fi
done <<<"$PACKAGES"

if ((${#missing[@]} == 0)); then
	log "all packages present; apt-get not needed"
	exit 0
fi

install_cmd=(apt-get install -y --no-install-recommends "${missing[@]}")

if ((EUID != 0)); then
	log "error: not root; run as root, for example:"
	printf 'sudo %s\n' "$0" >&2
	log "or run these commands yourself:"
	printf 'sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive %s\n' "${install_cmd[*]}" >&2
	exit 1
fi

# pids of the daemons before the install: only processes that appear during it are stopped.
running() { pgrep -x "$1" 2>/dev/null || true; }
declare -A before=()
for d in "${DAEMONS[@]}"; do
	for pid in $(running "$d"); do before[$pid]=1; done
done

# policy-rc.d exiting 101 tells invoke-rc.d and deb-systemd-invoke not to start services.
policy=/usr/sbin/policy-rc.d
policy_backup=''
restore_policy() {
	if [[ -n "$policy_backup" ]]; then
		mv -f "$policy_backup" "$policy"
	else
		rm -f "$policy"
	fi
}
if [[ -e "$policy" ]]; then
	policy_backup="$(mktemp /usr/sbin/policy-rc.d.deps-sh.XXXXXX)"
	cp -p "$policy" "$policy_backup"
fi
trap restore_policy EXIT
printf '#!/bin/sh\n# written by orgctl scripts/deps.sh for the duration of an install\nexit 101\n' >"$policy"
chmod 0755 "$policy"
log "installed $policy (exit 101) for the duration of the install"

export DEBIAN_FRONTEND=noninteractive
log "running: apt-get update"
apt-get update >&2
log "running: ${install_cmd[*]}"
"${install_cmd[@]}" >&2

# A postinst that ignores policy-rc.d could still have started a daemon: stop it.
if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
	for s in "${SERVICES[@]}"; do
		if systemctl is-active --quiet "$s" 2>/dev/null; then
			log "stopping service $s started by the install"
			systemctl stop "$s" || true
		fi
	done
fi
for d in "${DAEMONS[@]}"; do
	for pid in $(running "$d"); do
		[[ -z "${before[$pid]:-}" ]] || continue
		log "stopping $d (pid $pid) started by the install"
		kill "$pid" 2>/dev/null || true
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.5
		done
		kill -9 "$pid" 2>/dev/null || true
	done
done

log "done: installed ${missing[*]}"
