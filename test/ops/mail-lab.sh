#!/usr/bin/env bash
# A real Postfix on loopback for the jest tests that check e-mail notifications.
#   mail-lab.sh up     install Postfix + Cyrus SASL if missing (root), configure, start or reload;
#                      idempotent; prints MAIL_LAB_* variables (KEY=value) on stdout, all else on stderr
#   mail-lab.sh down   postfix stop (errors ignored); the lab directory is kept
# Listeners (all on 127.0.0.1, all deliver to local Maildirs, nothing is ever relayed):
#   :25    STARTTLS offered (may), no auth        MAIL_LAB_TLS_URL / MAIL_LAB_NAME_URL
#   :2525  no STARTTLS at all, no auth            MAIL_LAB_PLAIN_URL
#   :587   STARTTLS required, then SASL required  MAIL_LAB_AUTH_URL + MAIL_LAB_PASSWORD
# The container has no systemd and no syslog: Postfix runs via `postfix start` and logs through
# postlogd to $MAIL_LAB_DIR/maillog.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

LAB=${MAIL_LAB_DIR:-/tmp/duo-bridge-mail-lab}
DOMAIN=duo-bridge.test
MAILHOST=mail.$DOMAIN
PLAINHOST=smtp-plain.$DOMAIN
SASL_USER=notifier
USER1=duoadmin   # receives admin@$DOMAIN (via /etc/aliases)
USER2=oncall     # receives oncall@$DOMAIN (its own account, so a second, separate Maildir)
SASL_CONF_DIR=/etc/postfix/sasl
SASLDB=/etc/sasldb2

# Keep stdout for the KEY=value lines only: anything a command prints goes to stderr.
exec 3>&1 1>&2
log() { printf '[mail-lab %6.1fs] %s\n' "$SECONDS" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

install_packages() {
  local missing=() p
  for p in postfix libsasl2-modules sasl2-bin openssl; do installed "$p" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} from Debian"
  # Preseed so the postfix postinst neither prompts nor configures a relay.
  debconf-set-selections <<EOF
postfix postfix/main_mailer_type select Local only
postfix postfix/mailname string $DOMAIN
EOF
  # Try with the current package lists first; refresh them only if that fails (saves ~10 s).
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      postfix libsasl2-modules sasl2-bin openssl >/dev/null 2>&1 || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      postfix libsasl2-modules sasl2-bin openssl >/dev/null
  }
}

# --- TLS: a throw-away CA and a server certificate it signs -------------------------------------
make_certs() {
  cat > "$LAB/openssl.cnf" <<EOF
[req]
distinguished_name = req_dn
[req_dn]
# Extensions chosen to pass strict verifiers too (Python 3.13 VERIFY_X509_STRICT, Node, Go).
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, DNS:$MAILHOST, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
  # Regenerate when missing or expiring within the hour (they only live 2 days).
  if [ ! -s "$LAB/ca.key" ] || ! openssl x509 -checkend 3600 -noout -in "$LAB/ca.pem" >/dev/null 2>&1; then
    log "generating test CA $LAB/ca.pem"
    openssl req -x509 -new -newkey rsa:2048 -nodes -days 2 -sha256 -config "$LAB/openssl.cnf" \
      -extensions ca_ext -subj "/CN=duo-bridge mail-lab test CA" \
      -keyout "$LAB/ca.key" -out "$LAB/ca.pem" 2>/dev/null
    rm -f "$LAB/server.pem"   # signed by the old CA
  fi
  # Also re-sign when the server cert no longer chains to the current CA.
  if [ ! -s "$LAB/server.key" ] || ! openssl x509 -checkend 3600 -noout -in "$LAB/server.pem" >/dev/null 2>&1 \
     || ! openssl verify -CAfile "$LAB/ca.pem" "$LAB/server.pem" >/dev/null 2>&1; then
    log "generating server certificate for localhost, $MAILHOST, 127.0.0.1"
    openssl req -new -newkey rsa:2048 -nodes -sha256 -config "$LAB/openssl.cnf" -subj "/CN=$MAILHOST" \
      -keyout "$LAB/server.key" -out "$LAB/server.csr" 2>/dev/null
    openssl x509 -req -in "$LAB/server.csr" -CA "$LAB/ca.pem" -CAkey "$LAB/ca.key" -sha256 -days 2 \
      -set_serial "0x$(openssl rand -hex 16)" -extfile "$LAB/openssl.cnf" -extensions server_ext \
      -out "$LAB/server.pem" 2>/dev/null
    rm -f "$LAB/server.csr"
  fi
  chmod 600 "$LAB/ca.key" "$LAB/server.key"   # smtpd reads them as root, before dropping privileges
  chmod 644 "$LAB/ca.pem" "$LAB/server.pem"
}

# --- Name resolution: the name-based URLs must reach 127.0.0.1 without DNS ----------------------
ensure_hosts() {
  local names=() n
  for n in "$MAILHOST" "$PLAINHOST"; do
    grep -Eq "^[[:space:]]*127\.0\.0\.1([[:space:]].*)?[[:space:]]${n//./\\.}([[:space:]]|$)" /etc/hosts \
      || names+=("$n")
  done
  [ ${#names[@]} -eq 0 ] && return 0
  log "adding ${names[*]} to /etc/hosts"
  # Append, never rewrite: /etc/hosts is often a bind mount in containers (sed -i would fail).
  printf '127.0.0.1 %s\n' "${names[*]}" >> /etc/hosts
}

# --- Recipients: one system account per Maildir -------------------------------------------------
ensure_user() {
  local u=$1 home="$LAB/home/$1" cur
  if ! getent passwd "$u" >/dev/null; then
    useradd --system --user-group --no-create-home --home-dir "$home" --shell /usr/sbin/nologin \
      --comment "duo-bridge mail lab" "$u"
  else
    cur=$(getent passwd "$u" | cut -d: -f6)
    # A different MAIL_LAB_DIR than last time: move the account's home (= its Maildir) along.
    [ "$cur" = "$home" ] || usermod --home "$home" "$u"
  fi
  # Pre-create the Maildir so tests can watch new/ before the first delivery; local(8) writes
  # as the recipient, so the user must own it.
  install -d -m 0700 -o "$u" -g "$(id -gn "$u")" "$home" "$home/Maildir" \
    "$home/Maildir/new" "$home/Maildir/cur" "$home/Maildir/tmp"
}

ensure_aliases() {
  # admin@ -> duoadmin. Drop any older admin: line first so reruns never duplicate or conflict.
  if ! grep -Eq "^admin:[[:space:]]*$USER1[[:space:]]*$" /etc/aliases; then
    sed -i '/^admin:/d' /etc/aliases
    printf 'admin: %s\n' "$USER1" >> /etc/aliases
  fi
  newaliases
}

# --- SASL for the submission port -----------------------------------------------------------------
ensure_sasl() {
  if [ ! -s "$LAB/password" ]; then
    # Hex: nothing to escape in URLs, shell files or SMTP AUTH PLAIN.
    ( umask 077; printf '%s' "$(openssl rand -hex 16)" > "$LAB/password" )
  fi
  PASSWORD=$(cat "$LAB/password")
  install -d -m 0755 "$SASL_CONF_DIR"
  cat > "$SASL_CONF_DIR/smtpd.conf" <<EOF
# duo-bridge mail lab (test/ops/mail-lab.sh): passwords live in $SASLDB, no saslauthd needed.
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: $SASLDB
EOF
  # -c creates or overwrites; the realm matches smtpd_sasl_local_domain below, which is what
  # lets clients log in as the bare "notifier" (Postfix appends the realm itself).
  printf '%s' "$PASSWORD" | saslpasswd2 -p -c -f "$SASLDB" -u "$DOMAIN" "$SASL_USER"
  # smtpd looks passwords up as user postfix; an unreadable db shows up only as
  # "454 4.7.0 Temporary authentication failure". Debian's way: group sasl (created by
  # sasl2-bin), with postfix as a member (smtpd keeps supplementary groups, checked).
  if getent group sasl >/dev/null; then
    chown root:sasl "$SASLDB"
    id -nG postfix | grep -qw sasl || usermod -a -G sasl postfix
  else
    chown root:postfix "$SASLDB"
  fi
  chmod 640 "$SASLDB"
}

# --- Postfix configuration ------------------------------------------------------------------------
configure_postfix() {
  local settings=(
    "myhostname = $MAILHOST"
    "mydomain = $DOMAIN"
    "myorigin = \$mydomain"
    "mydestination = \$myhostname, \$mydomain, localhost.localdomain, localhost"
    "inet_interfaces = loopback-only"
    "inet_protocols = ipv4"
    "mynetworks = 127.0.0.0/8"
    "relayhost ="
    "default_transport = error:mail lab delivers locally only"
    "relay_transport = error:mail lab delivers locally only"
    "alias_maps = hash:/etc/aliases"
    "alias_database = hash:/etc/aliases"
    "home_mailbox = Maildir/"
    "mailbox_command ="
    "smtputf8_enable = no"
    "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination"
    "smtpd_error_sleep_time = 0s"
    "smtpd_tls_security_level = may"
    "smtpd_tls_cert_file = $LAB/server.pem"
    "smtpd_tls_key_file = $LAB/server.key"
    "smtpd_tls_received_header = yes"
    "smtpd_tls_loglevel = 1"
    "cyrus_sasl_config_path = $SASL_CONF_DIR"
    "smtpd_sasl_local_domain = $DOMAIN"
    "maillog_file = $LAB/maillog"
    "maillog_file_prefixes = /var, /dev/stdout, $LAB"
  )
  # Rewrite main.cf only when something differs: every Postfix program that reads a main.cf
  # younger than ~2 s pauses "to let it cool down", which would make each rerun 2 s slower.
  local s names=() want=() have
  for s in "${settings[@]}"; do names+=("${s%% =*}"); want+=("${s#* =}"); done
  want=("${want[@]# }")
  have=$(postconf -h "${names[@]}" 2>/dev/null || true)
  if [ "$have" != "$(printf '%s\n' "${want[@]}")" ]; then
    log "updating /etc/postfix/main.cf"
    postconf -e "${settings[@]}"
  fi
  # smtpd_error_sleep_time=0: negative tests (bad password, unknown user) answer at once.
  # reject_unauth_destination (not Debian's defer_): a wrong recipient fails fast with 5xx.

  # `postfix start` bypasses Debian's init script, which is what copies /etc/hosts, services,
  # resolv.conf, sasldb2... into the /var/spool/postfix chroot. Without it chrooted daemons
  # cannot resolve mail.duo-bridge.test or read the sasldb: run every service unchrooted.
  postconf -F '*/*/chroot = n'

  # Port 25 is Debian's stock "smtp inet" service (loopback-only + ipv4 = 127.0.0.1:25).
  # Port 2525: same server, TLS switched off entirely, so no STARTTLS in EHLO.
  postconf -M "127.0.0.1:2525/inet = 127.0.0.1:2525 inet n - n - - smtpd"
  postconf -P \
    "127.0.0.1:2525/inet/syslog_name = postfix/plain" \
    "127.0.0.1:2525/inet/smtpd_tls_security_level = none"
  # Port 587: STARTTLS mandatory, AUTH only offered after it, every recipient needs SASL.
  postconf -M "127.0.0.1:587/inet = 127.0.0.1:587 inet n - n - - smtpd"
  postconf -P \
    "127.0.0.1:587/inet/syslog_name = postfix/submission" \
    "127.0.0.1:587/inet/smtpd_tls_security_level = encrypt" \
    "127.0.0.1:587/inet/smtpd_tls_auth_only = yes" \
    "127.0.0.1:587/inet/smtpd_sasl_auth_enable = yes" \
    "127.0.0.1:587/inet/smtpd_sasl_security_options = noanonymous" \
    "127.0.0.1:587/inet/smtpd_recipient_restrictions = permit_sasl_authenticated,reject" \
    "127.0.0.1:587/inet/smtpd_relay_restrictions = permit_sasl_authenticated,reject"
  # No `postfix check` here (2 s): `postfix start` runs it, and wait_ready probes every port.
}

start_postfix() {
  local net_before=$1
  if postfix status >/dev/null 2>&1; then
    if [ "$net_before" != "$(postconf -h inet_interfaces inet_protocols)" ]; then
      # inet_interfaces / inet_protocols only take effect on a full restart.
      log "restarting Postfix (listen addresses changed)"
      postfix stop || true
      postfix start
    else
      log "reloading Postfix"
      postfix reload
    fi
  else
    log "starting Postfix"
    postfix start
  fi
}

# Read one SMTP reply (possibly multi-line) from fd $1 into REPLY_TEXT; fails on timeout.
smtp_reply() {
  local fd=$1 line
  REPLY_TEXT=
  while IFS= read -r -t 5 -u "$fd" line; do
    REPLY_TEXT+="${line%$'\r'}"$'\n'
    [[ $line =~ ^[0-9]{3}\  ]] && return 0
  done
  return 1
}

# Banner + EHLO on one port; prints the EHLO reply. Fails if nothing answers 220 / 250.
probe() {
  local port=$1 fd out
  exec {fd}<>"/dev/tcp/127.0.0.1/$port" || return 1
  if smtp_reply "$fd" && [[ $REPLY_TEXT == 220* ]]; then
    printf 'EHLO mail-lab.probe\r\n' >&"$fd"
    if smtp_reply "$fd" && [[ $REPLY_TEXT == 250* ]]; then out=$REPLY_TEXT; fi
    printf 'QUIT\r\n' >&"$fd" || true
  fi
  exec {fd}>&-
  [ -n "${out:-}" ] && printf '%s' "$out"
}

wait_ready() {
  local port ehlo i
  for port in 25 2525 587; do
    for ((i = 0; i < 100; i++)); do
      ehlo=$(probe "$port" 2>/dev/null) && break
      sleep 0.1
    done
    [ -n "$ehlo" ] || { tail -20 "$LAB/maillog" >&2 || true; die "no SMTP banner on 127.0.0.1:$port"; }
    # Catch a stale or half-applied configuration here rather than in a confusing test failure.
    case $port in
      25)   grep -q STARTTLS <<<"$ehlo" || die "port 25 does not offer STARTTLS" ;;
      2525) ! grep -q STARTTLS <<<"$ehlo" || die "port 2525 offers STARTTLS" ;;
      587)  grep -q STARTTLS <<<"$ehlo" && ! grep -q AUTH <<<"$ehlo" \
              || die "port 587 must offer STARTTLS and hide AUTH until TLS is up" ;;
    esac
  done
}

up() {
  [ "$(id -u)" -eq 0 ] || die "run as root (installs packages, edits /etc/hosts and /etc/postfix)"
  # Postfix lists split on blanks and commas: such a lab path would break maillog_file_prefixes.
  [[ $LAB == /* && $LAB != *[[:space:],]* ]] || die "MAIL_LAB_DIR must be an absolute path without blanks or commas"
  install_packages
  install -d -m 0755 "$LAB" "$LAB/home"
  make_certs
  ensure_hosts
  ensure_user "$USER1"
  ensure_user "$USER2"
  local net_before
  net_before=$(postconf -h inet_interfaces inet_protocols)
  ensure_sasl
  configure_postfix
  ensure_aliases
  start_postfix "$net_before"
  wait_ready
  log "Postfix ready; log: $LAB/maillog (postlogd, no syslog here)"
  local home1 home2
  home1=$(getent passwd "$USER1" | cut -d: -f6)
  home2=$(getent passwd "$USER2" | cut -d: -f6)
  # %q keeps the file sourceable even if a value ever needs quoting.
  printf '%s=%q\n' \
    MAIL_LAB_CA "$LAB/ca.pem" \
    MAIL_LAB_TLS_URL "smtp://127.0.0.1:25" \
    MAIL_LAB_NAME_URL "smtp://$MAILHOST:25" \
    MAIL_LAB_PLAIN_URL "smtp://$PLAINHOST:2525" \
    MAIL_LAB_AUTH_URL "smtp://$SASL_USER@127.0.0.1:587" \
    MAIL_LAB_PASSWORD "$PASSWORD" \
    MAIL_LAB_FROM "duo-bridge@$DOMAIN" \
    MAIL_LAB_TO "admin@$DOMAIN" \
    MAIL_LAB_TO2 "$USER2@$DOMAIN" \
    MAIL_LAB_MAILDIR "$home1/Maildir" \
    MAIL_LAB_MAILDIR2 "$home2/Maildir" \
    MAIL_LAB_LOG "$LAB/maillog" >&3
}

down() {
  log "stopping Postfix"
  postfix stop || true
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up | down" >&2; exit 2 ;;
esac
