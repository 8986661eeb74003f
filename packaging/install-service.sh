#!/usr/bin/env bash
# Install the kiosk service on a kiosk machine (root): a `kiosk` user, the unit, the config dir.
#   packaging/install-service.sh [PREFIX] [USER]      (defaults: this checkout, kiosk)
# `render` only prints the unit (used by the tests and for review):
#   packaging/install-service.sh render PREFIX USER
set -euo pipefail
render() { sed -e "s|@PREFIX@|$1|g" -e "s|@USER@|$2|g" "$(dirname "$0")/systemd/kiosk.service.in"; }
if [[ ${1:-} == render ]]; then render "$2" "$3"; exit 0; fi
PREFIX=${1:-$(cd "$(dirname "$0")/.." && pwd)}
USER_NAME=${2:-kiosk}
id -u "$USER_NAME" >/dev/null 2>&1 || useradd --system --home-dir /var/lib/kiosk --shell /usr/sbin/nologin \
  --groups video,input,audio,render "$USER_NAME"
install -d -m 0755 /etc/kiosk
[[ -f /etc/kiosk/config.toml ]] || install -m 0644 /dev/null /etc/kiosk/config.toml
render "$PREFIX" "$USER_NAME" > /etc/systemd/system/kiosk.service
systemd-analyze verify /etc/systemd/system/kiosk.service
systemctl daemon-reload
systemctl enable kiosk.service
echo "installed: systemctl start kiosk; logs: journalctl -u kiosk"
