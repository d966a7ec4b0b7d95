#!/usr/bin/env bash
# A throw-away Samba AD DC on loopback for the AD integration suite and the export benchmark.
#   lab.sh up [N_USERS]   install Samba if missing (root), provision, load N users (default 5000), start;
#                         prints AD_* variables for the tests on stdout
#   lab.sh start | stop   start or stop the provisioned DC (by its PID)
#   lab.sh strong yes|no  require TLS for simple binds (restart needed), as hardened DCs do
#   lab.sh down           stop it and delete its directory
set -euo pipefail
AD_DIR=${AD_DIR:-/tmp/duo-bridge-ad/dc}
REALM=${AD_REALM:-EXAMPLE.TEST}
DOMAIN=${AD_DOMAIN:-EXAMPLE}
BASE="DC=${REALM//./,DC=}"
ADMINPASS=${AD_ADMINPASS:-'Passw0rd!Adm1n'}   # must meet AD complexity rules at provision time
HERE=$(cd "$(dirname "$0")" && pwd)
log() { printf '[ad-lab %6.1fs] %s\n' "$SECONDS" "$*" >&2; }

stop() {
  local f="$AD_DIR/samba.pid"; [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f"); kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true; rm -f "$f"
}

install_packages() {
  command -v samba >/dev/null && [ -d /usr/share/samba/setup/ad-schema ] && command -v ldbadd >/dev/null \
    && command -v ldapsearch >/dev/null && command -v openssl >/dev/null && return 0
  log "installing Samba AD DC from Debian"
  apt-get update -qq
  # samba-ad-provision is only a Recommends, but provisioning fails without its schema files.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    samba samba-ad-dc samba-ad-provision samba-dsdb-modules samba-vfs-modules winbind \
    ldb-tools ldap-utils openssl >/dev/null
}

provision() {
  rm -rf "$AD_DIR"; mkdir -p "$AD_DIR"/{log,run,tls}
  log "provisioning $REALM in $AD_DIR"
  samba-tool domain provision --use-rfc2307 --realm="$REALM" --domain="$DOMAIN" \
    --server-role=dc --dns-backend=NONE --backend-store=mdb --adminpass="$ADMINPASS" \
    --targetdir="$AD_DIR" --host-name=dc1 --host-ip=127.0.0.1 \
    --option="interfaces = lo" --option="bind interfaces only = yes" --option="server services = ldap" \
    --option="log file = $AD_DIR/log/log.%m" --option="pid directory = $AD_DIR/run" \
    --option="tls keyfile = $AD_DIR/tls/key.pem" --option="tls certfile = $AD_DIR/tls/cert.pem" \
    --option="tls cafile = $AD_DIR/tls/ca.pem" > "$AD_DIR/log/provision.log" 2>&1 \
    || { tail -20 "$AD_DIR/log/provision.log" >&2; exit 1; }
  # provision silently drops this option: add it ourselves ("no" allows a simple bind over plain ldap://).
  sed -i "/^\[global\]/a ldap server require strong auth = no" "$AD_DIR/etc/smb.conf"
  # Samba's own certificate has no SAN, so hostname checks fail on 127.0.0.1: make a CA and a server cert.
  ( cd "$AD_DIR/tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=duo-bridge test AD CA" \
      -keyout ca.key -out ca.pem -addext basicConstraints=critical,CA:TRUE 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=dc1.${REALM,,}" -keyout key.pem -out srv.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:dc1.%s\nextendedKeyUsage=serverAuth\n' "${REALM,,}" > ext.cnf
    openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -extfile ext.cnf -out cert.pem 2>/dev/null
    chmod 600 key.pem ca.key )
  samba-tool domain passwordsettings set -H "$AD_DIR/private/sam.ldb" \
    --complexity=off --min-pwd-length=1 --min-pwd-age=0 --max-pwd-age=0 --history-length=0 >/dev/null
}

load_users() {
  local n=$1 chunk=${AD_CHUNK:-2500} s gen=(node "$HERE/gen-ldif.mjs")
  log "loading $n users"
  "${gen[@]}" 0 --base "$BASE" --realm "${REALM,,}" --no-groups > "$AD_DIR/ous.ldif"
  ldbadd -H "$AD_DIR/private/sam.ldb" "$AD_DIR/ous.ldif" >/dev/null
  # batch_mode skips per-record sub-transactions; chunks keep the load about linear in N.
  for ((s = 1; s <= n; s += chunk)); do
    "${gen[@]}" $(( n - s + 1 < chunk ? n - s + 1 : chunk )) --start $s --base "$BASE" --realm "${REALM,,}" \
      --no-ous --no-groups > "$AD_DIR/chunk.ldif"
    ldbadd -o batch_mode:1 -H "$AD_DIR/private/sam.ldb" "$AD_DIR/chunk.ldif" >/dev/null
  done
  "${gen[@]}" "$n" --base "$BASE" --realm "${REALM,,}" --no-ous --no-users > "$AD_DIR/groups.ldif"
  ldbadd -o batch_mode:1 -H "$AD_DIR/private/sam.ldb" "$AD_DIR/groups.ldif" >/dev/null
  # A non-admin account to bind with, as production exports do.
  samba-tool user create svc-export 'Export-Pass-1' -H "$AD_DIR/private/sam.ldb" >/dev/null
  rm -f "$AD_DIR/chunk.ldif"
}

start() {
  # Another directory on the port would answer the readiness check below and be tested instead.
  if ldapsearch -x -H ldap://127.0.0.1 -b '' -s base -LLL dnsHostName >/dev/null 2>&1; then
    echo "an LDAP server already listens on 127.0.0.1:389: stop it first (lab.sh stop, with its AD_DIR)" >&2; exit 1
  fi
  samba -i -M single -s "$AD_DIR/etc/smb.conf" --maximum-runtime="${AD_MAX_RUNTIME:-7200}" > "$AD_DIR/log/samba.out" 2>&1 &
  echo $! > "$AD_DIR/samba.pid"
  for _ in $(seq 150); do
    if ldapsearch -x -H ldap://127.0.0.1 -b '' -s base -LLL dnsHostName >/dev/null 2>&1; then
      log "DC up, pid $(cat "$AD_DIR/samba.pid")"; return 0
    fi
    kill -0 "$(cat "$AD_DIR/samba.pid")" 2>/dev/null || break
    sleep 0.2
  done
  tail -30 "$AD_DIR/log/samba.out" >&2; exit 1
}

strong() {
  sed -i "s/^ldap server require strong auth = .*/ldap server require strong auth = $1/" "$AD_DIR/etc/smb.conf"
}

case "${1:-up}" in
  up)
    stop; install_packages; provision; load_users "${2:-5000}"; start
    printf '%s\n' "AD_DIR=$AD_DIR" "AD_URL=ldap://127.0.0.1:389" "AD_URL_TLS=ldaps://127.0.0.1:636" \
      "AD_CA=$AD_DIR/tls/ca.pem" "AD_BASE=$BASE" "AD_REALM=${REALM,,}" "AD_USERS=${2:-5000}" \
      "AD_ADMIN=Administrator@${REALM,,}" "AD_ADMIN_PASSWORD=$ADMINPASS" \
      "AD_EXPORT_USER=svc-export@${REALM,,}" "AD_EXPORT_PASSWORD=Export-Pass-1" ;;
  start) start ;;
  stop) stop ;;
  strong) strong "${2:?yes or no}" ;;
  down) stop; rm -rf "$AD_DIR" ;;
  *) echo "usage: $0 up [N] | start | stop | strong yes|no | down" >&2; exit 2 ;;
esac
