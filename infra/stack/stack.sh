# shellcheck shell=bash
# The local stack: the real servers of Pulse on 127.0.0.1, without Docker.
# Sourced by ./pulse; `stack_up`, `stack_down`, `stack_status` are its entry points.
#
# Settings (environment):
#   PULSE_HOME         state dir: data, logs, PIDs, stack.env        (default: <repo>/.pulse)
#   PULSE_PORT_OFFSET  added to every default port below              (default: 0)
#   PULSE_LIB          server jars resolved by Maven                  (default: <repo>/.pulse/lib)
#   PULSE_SERVICES     services to manage, space separated            (default: all)
#   PULSE_UP_TIMEOUT   seconds each server may take to become ready   (default: 180)
#   PULSE_PG_WAL_LEVEL wal_level of a new PostgreSQL data dir; only tests of the CDC preflight
#                      change it                                      (default: logical)
#   PULSE_SECURE       1 = every store asks for a login and speaks TLS only, like a managed cluster: a generated
#                      password and a local CA in $PULSE_HOME/secrets, the jobs' settings for them in
#                      $PULSE_HOME/secrets/<job>.settings. Fixed when a stack is first created (default: 0)
#   PULSE_PROMETHEUS   1 = Flink's Prometheus reporter: the JobManager on FLINK_PROM_PORT_JM, TaskManager i on
#                      FLINK_PROM_PORT_TM + i - 1 (ports.properties). Flink 1.20's reporter can only bind every
#                      interface, so it is off by default; `up` prints the ports it opened (default: 0)

PULSE_ROOT=${PULSE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PULSE_HOME=${PULSE_HOME:-$PULSE_ROOT/.pulse}
PULSE_LIB=${PULSE_LIB:-$PULSE_ROOT/.pulse/lib}
PULSE_PORT_OFFSET=${PULSE_PORT_OFFSET:-0}
PULSE_UP_TIMEOUT=${PULSE_UP_TIMEOUT:-180}
STACK_DIR=$PULSE_ROOT/infra/stack
DDL_DIR=$PULSE_ROOT/infra/ddl
ALL_SERVICES="postgres redis clickhouse kafka cassandra flink-jobmanager flink-taskmanager mock-external"
PULSE_SERVICES=${PULSE_SERVICES:-$ALL_SERVICES}
# The distribution's PostgreSQL, 15 or newer (Debian 12: 15, Ubuntu 24.04: 16, Debian 13: 17): the newest installed.
pg_bin_dir() {
  local dir version best="" best_version=0
  for dir in /usr/lib/postgresql/*/bin; do
    version=$(basename "$(dirname "$dir")")
    [[ $version =~ ^[0-9]+$ ]] && [ -x "$dir/initdb" ] && [ "$version" -ge 15 ] && [ "$version" -gt "$best_version" ] \
      && { best=$dir; best_version=$version; }
  done
  echo "$best"
}
PG_BIN=${PG_BIN:-$(pg_bin_dir)}

# Ports: the one list of defaults (also read by LocalStack), each moved by PULSE_PORT_OFFSET.
PORTS_FILE=$PULSE_ROOT/infra/src/main/resources/io/pulse/infra/ports.properties
while IFS='=' read -r port_name port_default; do
  case $port_name in ''|\#*) continue ;; esac
  printf -v "$port_name" '%s' "$((port_default + PULSE_PORT_OFFSET))"
done < "$PORTS_FILE"
unset port_name port_default
PG_DB=pulse

# Kafka topics of DESIGN.md, name:partitions.
KAFKA_TOPICS="user_activity:2 engagement_events:2 enriched_activity:2 late_events:1 dead_letter:1"

log() { printf '%s\n' "$*" >&2; }
die() { log "pulse: $*"; exit 1; }

# ---------------------------------------------------------------- helpers

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Alive and not a zombie (this sandbox's PID 1 reaps orphans lazily).
pid_alive() {
  local pid=$1 state
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  state=$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$pid/stat" 2>/dev/null)
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

svc_dir() { echo "$PULSE_HOME/$1"; }
svc_pid() { cat "$(svc_dir "$1")/pid" 2>/dev/null; }
# Each server's section below defines, in one place: start_<svc>, <svc>_ready (answers now),
# <svc>_ports (every port it listens on, for clash checks), <svc>_endpoint (what `status` shows) and
# <svc>_hint (how to fix it when it does not start); optionally stop_<svc> (default: TERM its PID),
# <svc>_log (default: <svc>/server.log) and <svc>_running (default: its PID alive and ready).
has_fn() { declare -F "$1" >/dev/null; }
svc_log() { if has_fn "$1_log"; then "$1_log"; else echo "$(svc_dir "$1")/server.log"; fi; }
svc_ports() { "$1_ports"; }
svc_endpoint() { "$1_endpoint"; }
svc_hint() { "$1_hint"; }
svc_ready() { "$1_ready"; }

render() { # render TEMPLATE OUT: fill @VARS@
  sed -e "s#@STATE@#$PULSE_HOME#g" \
      -e "s#@KAFKA_PORT@#$KAFKA_PORT#g" -e "s#@KAFKA_CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
      -e "s#@CASSANDRA_PORT@#$CASSANDRA_PORT#g" -e "s#@CASSANDRA_STORAGE_PORT@#$CASSANDRA_STORAGE_PORT#g" \
      -e "s#@CASSANDRA_SSL_STORAGE_PORT@#$CASSANDRA_SSL_STORAGE_PORT#g" \
      -e "s#@FLINK_RPC_PORT@#$FLINK_RPC_PORT#g" -e "s#@FLINK_REST_PORT@#$FLINK_REST_PORT#g" \
      -e "s#@TM_SLOTS@#${PULSE_TASKMANAGER_SLOTS:-4}#g" \
      "$1" > "$2"
}

# wait_for SECONDS COMMAND...: poll a readiness probe until it succeeds or the deadline passes.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.3
  done
}

# Start a background server in its own session, detached from the terminal; remember its PID.
spawn() { # spawn SERVICE LOGFILE CMD...
  local svc=$1 logfile=$2; shift 2
  setsid "$@" >>"$logfile" 2>&1 < /dev/null &
  echo $! > "$(svc_dir "$svc")/pid"
}

java_bin() { echo "${JAVA_HOME:+$JAVA_HOME/bin/}java"; }

# ---------------------------------------------------------------- prerequisites

ensure_packages() {
  local missing=()
  [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v clickhouse-server >/dev/null || missing+=(clickhouse-server)
  command -v clickhouse-client >/dev/null || missing+=(clickhouse-client)
  command -v psql >/dev/null || missing+=(postgresql-client)
  command -v curl >/dev/null || missing+=(curl)
  command -v openssl >/dev/null || missing+=(openssl)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    die "missing Debian packages: ${missing[*]}. Install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}"
  fi
  log "installing Debian packages: ${missing[*]} ..."
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed; run it by hand to see why"
  [ -n "$PG_BIN" ] || PG_BIN=$(pg_bin_dir)
  [ -n "$PG_BIN" ] || die "no PostgreSQL 15 or newer under /usr/lib/postgresql after installing the distribution's: install one (apt-get install postgresql-15) or set PG_BIN"
}

# Server jars come from Maven Central through Maven, once, into $PULSE_LIB/<server>.
ensure_server_jars() {
  local server
  for server in "$@"; do
    # .resolved holds the digest of the pom the jars came from: a changed version resolves again.
    local wanted; wanted=$(md5sum < "$STACK_DIR/servers/$server/pom.xml" | cut -c1-32)
    [ "$(cat "$PULSE_LIB/$server/.resolved" 2>/dev/null)" = "$wanted" ] && continue
    log "resolving $server jars with Maven (first run, or its pom changed) ..."
    rm -rf "${PULSE_LIB:?}/$server"
    "$PULSE_ROOT/mvnw" -q -B -f "$STACK_DIR/servers/$server/pom.xml" \
      org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$PULSE_LIB/$server" >"$PULSE_HOME/resolve-$server.log" 2>&1 \
      || { tail -20 "$PULSE_HOME/resolve-$server.log" >&2; die "could not resolve the $server jars (log: $PULSE_HOME/resolve-$server.log); is Maven Central reachable?"; }
    echo "$wanted" > "$PULSE_LIB/$server/.resolved"
  done
}

# ---------------------------------------------------------------- secure mode (PULSE_SECURE=1)

SECRETS_DIR=$PULSE_HOME/secrets
secure() { [ "$(cat "$PULSE_HOME/mode" 2>/dev/null || echo "${PULSE_SECURE:-0}")" = 1 ]; }
secret() { cat "$SECRETS_DIR/password"; }

# A stack keeps the mode it was created with: its data dirs hold users and configuration of that mode.
ensure_mode() {
  local want=${PULSE_SECURE:-}
  if [ -f "$PULSE_HOME/mode" ]; then
    [ -z "$want" ] || [ "$want" = "$(cat "$PULSE_HOME/mode")" ] \
      || die "this stack ($PULSE_HOME) was created with PULSE_SECURE=$(cat "$PULSE_HOME/mode"); to change it: ./pulse down && rm -rf $PULSE_HOME, or use another PULSE_HOME"
  else
    if [ "${want:-0}" = 1 ] && [ -d "$PULSE_HOME/kafka/data" ]; then
      die "this stack ($PULSE_HOME) has data from a stack without PULSE_SECURE; to make it secure: ./pulse down && rm -rf $PULSE_HOME, or use another PULSE_HOME"
    fi
    echo "${want:-0}" > "$PULSE_HOME/mode"
  fi
  secure || return 0
  [ -f "$SECRETS_DIR/process-job.settings" ] && return 0
  log "secure mode: generating a password and a local CA in $SECRETS_DIR ..."
  mkdir -p "$SECRETS_DIR"; chmod 700 "$SECRETS_DIR"
  (
    cd "$SECRETS_DIR" || exit 1
    umask 077
    openssl rand -hex 16 > password
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Pulse local stack CA" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -keyout ca.key -out ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -extfile server.ext -out server.pem 2>/dev/null
    openssl pkcs12 -export -in server.pem -inkey server.key -certfile ca.pem -name server -passout "pass:$(cat password)" -out server.p12
    chmod 644 ca.pem
  ) || die "could not generate the secure stack's certificates with openssl (in $SECRETS_DIR)"
  local pw; pw=$(secret)
  cat > "$SECRETS_DIR/kafka-client.properties" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="pulse" password="$pw";
ssl.truststore.type=PEM
ssl.truststore.location=$SECRETS_DIR/ca.pem
EOF
  local postgres kafka
  kafka=$(sed 's/^/kafka.properties./' "$SECRETS_DIR/kafka-client.properties")
  postgres=$(printf '%s\n' "postgres.user=postgres" "postgres.password=$pw" "postgres.sslmode=verify-full" "postgres.sslrootcert=$SECRETS_DIR/ca.pem")
  printf '%s\n' "# The ingest job's settings for the secure local stack (./pulse submit passes this file)." "$kafka" "$postgres" \
    > "$SECRETS_DIR/ingest-job.settings"
  {
    printf '%s\n' "# The process job's settings for the secure local stack (./pulse submit passes this file)." "$kafka" "$postgres"
    cat <<EOF
cassandra.username=pulse
cassandra.password=$pw
cassandra.tls=true
cassandra.tls.ca=$SECRETS_DIR/ca.pem
redis.user=pulse
redis.password=$pw
redis.tls=true
redis.tls.ca=$SECRETS_DIR/ca.pem
clickhouse.user=pulse
clickhouse.password=$pw
clickhouse.tls.ca=$SECRETS_DIR/ca.pem
EOF
  } > "$SECRETS_DIR/process-job.settings"
  chmod 600 "$SECRETS_DIR"/*.settings "$SECRETS_DIR/kafka-client.properties"
}

# ---------------------------------------------------------------- PostgreSQL

# PostgreSQL refuses to run as root, and the postgres user must reach its data dir: under a
# root-only home that is impossible, so the data dir then moves to the system temp dir.
pg_data_dir() {
  local link="$PULSE_HOME/postgres/datadir"
  if [ -f "$link" ]; then cat "$link"; return; fi
  local dir="$PULSE_HOME/postgres/data"
  if [ "$(id -u)" -eq 0 ] && ! su postgres -s /bin/sh -c "test -x '$PULSE_HOME'" 2>/dev/null; then
    dir="${TMPDIR:-/tmp}/pulse-pg-$(printf '%s' "$PULSE_HOME" | md5sum | cut -c1-10)/data"
  fi
  echo "$dir" > "$link"
  echo "$dir"
}

as_pg() {
  # From /: the postgres user may not be allowed into the caller's working directory.
  if [ "$(id -u)" -eq 0 ]; then (cd / && su postgres -s /bin/sh -c "$*"); else sh -c "$*"; fi
}

postgres_ports() { echo "$PG_PORT"; }
postgres_endpoint() { echo "postgresql://postgres@127.0.0.1:$PG_PORT/$PG_DB"; }
postgres_hint() { echo "check that PostgreSQL 15 or newer is installed (apt-get install postgresql) and that port $PG_PORT is free; the data dir is $(pg_data_dir)"; }
postgres_log() { # beside the data dir, where the postgres user can write (see pg_data_dir)
  if [ -f "$PULSE_HOME/postgres/datadir" ]; then echo "$(dirname "$(cat "$PULSE_HOME/postgres/datadir")")/server.log"
  else echo "$(svc_dir postgres)/server.log"; fi
}
postgres_running() { postgres_ready && [ -f "$(pg_data_dir)/postmaster.pid" ]; }
postgres_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; }

start_postgres() {
  local data; data=$(pg_data_dir)
  local sock; sock=$(dirname "$data")
  mkdir -p "$sock"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$sock"
  if [ ! -f "$data/PG_VERSION" ]; then
    local auth="-A trust"
    if secure; then # the postgres user's password from the secrets; TLS with the stack's server certificate
      secret > "$sock/pwfile"; [ "$(id -u)" -eq 0 ] && chown postgres "$sock/pwfile"
      auth="-A scram-sha-256 --pwfile='$sock/pwfile'"
    fi
    as_pg "'$PG_BIN/initdb' -D '$data' -U postgres $auth -E UTF8 --locale=C.UTF-8" >"$(svc_dir postgres)/initdb.log" 2>&1 || return 1
    rm -f "$sock/pwfile"
    if secure; then
      cp "$SECRETS_DIR/server.pem" "$SECRETS_DIR/server.key" "$data/"
      [ "$(id -u)" -eq 0 ] && chown postgres "$data/server.pem" "$data/server.key"
      chmod 600 "$data/server.key"
      printf '%s\n' "local all all scram-sha-256" "hostssl all all 127.0.0.1/32 scram-sha-256" \
        "hostssl replication all 127.0.0.1/32 scram-sha-256" > "$data/pg_hba.conf"
      printf '%s\n' "ssl = on" "ssl_cert_file = 'server.pem'" "ssl_key_file = 'server.key'" >> "$data/postgresql.conf"
    fi
    cat >> "$data/postgresql.conf" <<EOF
# Pulse local stack
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sock'
wal_level = ${PULSE_PG_WAL_LEVEL:-logical}
max_replication_slots = 10
max_wal_senders = 10
# A slot whose job is stopped keeps at most this much WAL (then the slot is lost, and the ingest job says so).
max_slot_wal_keep_size = 4GB
fsync = off
full_page_writes = off
shared_buffers = 128MB
max_connections = 200
EOF
  fi
  touch "$(svc_log postgres)"; [ "$(id -u)" -eq 0 ] && chown postgres "$(svc_log postgres)"
  as_pg "'$PG_BIN/pg_ctl' -D '$data' -l '$(svc_log postgres)' -w -t 60 start" >/dev/null || return 1
  head -1 "$data/postmaster.pid" > "$(svc_dir postgres)/pid"
  wait_for 30 postgres_ready
}

stop_postgres() {
  local data; data=$(pg_data_dir)
  [ -f "$data/postmaster.pid" ] && as_pg "'$PG_BIN/pg_ctl' -D '$data' -m fast -w -t 30 stop" >/dev/null 2>&1
  [ -f "$data/postmaster.pid" ] && as_pg "'$PG_BIN/pg_ctl' -D '$data' -m immediate -w stop" >/dev/null 2>&1
  return 0
}

psql_pulse() {
  if secure; then
    PGPASSWORD=$(secret) PGSSLMODE=verify-full PGSSLROOTCERT=$SECRETS_DIR/ca.pem psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"
  else
    psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"
  fi
}

apply_postgres_ddl() {
  psql_pulse -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1 \
    || psql_pulse -d postgres -c "CREATE DATABASE $PG_DB"
  psql_pulse -d "$PG_DB" -f "$DDL_DIR/postgres.sql"
}

# ---------------------------------------------------------------- Redis

redis_ports() { echo "$REDIS_PORT"; }
redis_endpoint() { echo "redis://127.0.0.1:$REDIS_PORT"; }
redis_hint() { echo "check that redis-server is installed (apt-get install redis-server) and port $REDIS_PORT is free"; }
redis_cli() { # secure: TLS and the pulse ACL user
  if secure; then
    REDISCLI_AUTH=$(secret) redis-cli --tls --cacert "$SECRETS_DIR/ca.pem" --user pulse -h 127.0.0.1 -p "$REDIS_PORT" "$@"
  else
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"
  fi
}
redis_ready() { [ "$(redis_cli ping 2>/dev/null)" = PONG ]; }

start_redis() {
  local dir; dir=$(svc_dir redis)
  local listen=(--port "$REDIS_PORT")
  if secure; then # TLS only, the default user off, one ACL user pulse
    listen=(--port 0 --tls-port "$REDIS_PORT" --tls-cert-file "$SECRETS_DIR/server.pem" --tls-key-file "$SECRETS_DIR/server.key"
      --tls-ca-cert-file "$SECRETS_DIR/ca.pem" --tls-auth-clients no
      --user pulse on ">$(secret)" '~*' '&*' '+@all' --user default off)
  fi
  # Durable as a production Redis should be: every write in the append-only file, fsynced every second,
  # so a SIGKILL loses at most the last second (which the sinks notice and write again).
  redis-server "${listen[@]}" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync everysec --daemonize yes \
    --pidfile "$dir/pid" --logfile "$(svc_log redis)" --dir "$dir" || return 1
  wait_for 30 redis_ready
}

# The append-only file in its dir is read back at start: a stack stopped (or killed) and started again keeps the leaderboard.
stop_redis() { redis_cli shutdown save >/dev/null 2>&1; kill_pid redis; }

# ---------------------------------------------------------------- ClickHouse

clickhouse_ports() { echo "$CH_HTTP_PORT $CH_TCP_PORT $CH_INTERSERVER_PORT"; }
clickhouse_endpoint() { echo "$(clickhouse_url) (native 127.0.0.1:$CH_TCP_PORT)"; }
clickhouse_hint() { echo "check that clickhouse-server is installed (apt-get install clickhouse-server clickhouse-client) and ports $CH_HTTP_PORT/$CH_TCP_PORT are free"; }
clickhouse_url() { if secure; then echo "https://127.0.0.1:$CH_HTTP_PORT"; else echo "http://127.0.0.1:$CH_HTTP_PORT"; fi; }
clickhouse_ready() {
  if secure; then [ "$(curl -s --cacert "$SECRETS_DIR/ca.pem" "$(clickhouse_url)/ping")" = "Ok." ]
  else [ "$(curl -s "$(clickhouse_url)/ping")" = "Ok." ]; fi
}

start_clickhouse() {
  local dir; dir=$(svc_dir clickhouse)
  mkdir -p "$dir/conf" "$dir/data" "$dir/log"
  sed -e "s#/var/log/clickhouse-server/clickhouse-server.log#$dir/server.log#" \
      -e "s#/var/log/clickhouse-server/#$dir/log/#g" \
      -e "s#/var/lib/clickhouse/#$dir/data/#g" \
      -e "s#<http_port>8123<#<http_port>$CH_HTTP_PORT<#" \
      -e "s#<tcp_port>9000<#<tcp_port>$CH_TCP_PORT<#" \
      -e "s#<interserver_http_port>9009<#<interserver_http_port>$CH_INTERSERVER_PORT<#" \
      -e 's#<listen_host>::1</listen_host>##' \
      /etc/clickhouse-server/config.xml > "$dir/conf/config.xml"
  cp /etc/clickhouse-server/users.xml "$dir/conf/users.xml"
  if secure; then # HTTPS instead of HTTP, a password for default, one user pulse
    local hash; hash=$(printf '%s' "$(secret)" | sha256sum | cut -c1-64)
    mkdir -p "$dir/conf/config.d" "$dir/conf/users.d"
    cat > "$dir/conf/config.d/pulse-secure.xml" <<EOF
<clickhouse>
  <http_port remove="1"/>
  <https_port>$CH_HTTP_PORT</https_port>
  <openSSL><server>
    <certificateFile>$SECRETS_DIR/server.pem</certificateFile>
    <privateKeyFile>$SECRETS_DIR/server.key</privateKeyFile>
    <dhParamsFile remove="1"/>
    <verificationMode>none</verificationMode>
    <loadDefaultCAFile>false</loadDefaultCAFile>
  </server></openSSL>
</clickhouse>
EOF
    cat > "$dir/conf/users.d/pulse-secure.xml" <<EOF
<clickhouse><users>
  <default><password remove="1"/><password_sha256_hex>$hash</password_sha256_hex></default>
  <pulse>
    <password_sha256_hex>$hash</password_sha256_hex>
    <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
    <profile>default</profile><quota>default</quota>
  </pulse>
</users></clickhouse>
EOF
  fi
  spawn clickhouse "$dir/stdout.log" clickhouse-server --config-file="$dir/conf/config.xml"
  wait_for 60 clickhouse_ready
}

apply_clickhouse_ddl() {
  local login=(); secure && login=(--user pulse --password "$(secret)")
  clickhouse-client --host 127.0.0.1 --port "$CH_TCP_PORT" "${login[@]}" --multiquery < "$DDL_DIR/clickhouse.sql"
}

# ---------------------------------------------------------------- Kafka

kafka_ports() { echo "$KAFKA_PORT $KAFKA_CONTROLLER_PORT"; }
kafka_endpoint() { echo "127.0.0.1:$KAFKA_PORT"; }
kafka_hint() { echo "a stale data dir from another Kafka version fails to load: ./pulse down && rm -rf $(svc_dir kafka), then ./pulse up"; }
kafka_ready() { port_open "$KAFKA_PORT"; }

start_kafka() {
  local dir; dir=$(svc_dir kafka)
  mkdir -p "$dir/data"
  render "$STACK_DIR/conf/kafka-server.properties" "$dir/server.properties"
  render "$STACK_DIR/conf/kafka-log4j2.yaml" "$dir/log4j2.yaml"
  if secure; then # one SASL_SSL listener (PLAIN, user pulse) for clients and the broker itself; later keys win
    local pw; pw=$(secret)
    cat >> "$dir/server.properties" <<EOF
listeners=SASL_SSL://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=SASL_SSL://127.0.0.1:$KAFKA_PORT
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=PLAIN
sasl.mechanism.inter.broker.protocol=PLAIN
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="pulse" password="$pw" user_pulse="$pw";
ssl.keystore.type=PKCS12
ssl.keystore.location=$SECRETS_DIR/server.p12
ssl.keystore.password=$pw
ssl.key.password=$pw
ssl.truststore.type=PEM
ssl.truststore.location=$SECRETS_DIR/ca.pem
EOF
    chmod 600 "$dir/server.properties"
  fi
  if [ ! -f "$dir/data/meta.properties" ]; then
    "$(java_bin)" -Xmx256m -Dlog4j2.configurationFile="$dir/log4j2.yaml" -cp "$PULSE_LIB/kafka/*" \
      kafka.tools.StorageTool format -t "$(kafka_cluster_id)" -c "$dir/server.properties" >"$dir/format.log" 2>&1 || return 1
  fi
  spawn kafka "$dir/stdout.log" "$(java_bin)" -Xms512m -Xmx512m -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$dir/log4j2.yaml" -cp "$PULSE_LIB/kafka/*" kafka.Kafka "$dir/server.properties"
  wait_for 90 port_open "$KAFKA_PORT"
}

# A single-node cluster needs a stable id, not a unique one.
kafka_cluster_id() { echo q1Sh-9_ISia_zwGINzRvyQ; }

create_kafka_topics() {
  # shellcheck disable=SC2086
  local client=""; secure && client=$SECRETS_DIR/kafka-client.properties
  # shellcheck disable=SC2086
  PULSE_KAFKA_PROPERTIES_FILE=$client "$(java_bin)" -cp "$PULSE_LIB/kafka/*" "$STACK_DIR/tools/KafkaTopics.java" "127.0.0.1:$KAFKA_PORT" 90 $KAFKA_TOPICS
}

# ---------------------------------------------------------------- Cassandra

cassandra_ports() { echo "$CASSANDRA_PORT $CASSANDRA_STORAGE_PORT"; }
cassandra_endpoint() { echo "127.0.0.1:$CASSANDRA_PORT (datacenter1)"; }
cassandra_hint() { echo "Cassandra needs ~1 GB of memory and 30-60 s on 2 cores (waited ${PULSE_UP_TIMEOUT}s: raise PULSE_UP_TIMEOUT on a slow machine); a stale data dir: ./pulse down && rm -rf $(svc_dir cassandra)"; }
cassandra_ready() { port_open "$CASSANDRA_PORT"; }

start_cassandra() {
  local dir; dir=$(svc_dir cassandra)
  mkdir -p "$dir/conf" "$dir/data"
  render "$STACK_DIR/conf/cassandra.yaml" "$dir/conf/cassandra.yaml"
  if secure; then # PasswordAuthenticator and client encryption only (the role pulse is made by apply_cassandra_ddl)
    sed -i 's/^authenticator: AllowAllAuthenticator/authenticator: PasswordAuthenticator/' "$dir/conf/cassandra.yaml"
    cat >> "$dir/conf/cassandra.yaml" <<EOF
client_encryption_options:
  enabled: true
  optional: false
  keystore: $SECRETS_DIR/server.p12
  keystore_password: $(secret)
  store_type: PKCS12
  require_client_auth: false
EOF
    chmod 600 "$dir/conf/cassandra.yaml"
  fi
  render "$STACK_DIR/conf/cassandra-logback.xml" "$dir/conf/logback.xml"
  local jamm; jamm=$(ls "$PULSE_LIB"/cassandra/jamm-*.jar | head -1)
  spawn cassandra "$dir/stdout.log" "$(java_bin)" -Xms512m -Xmx768m -Xss256k -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
    @"$STACK_DIR/conf/cassandra-jvm17.opts" -javaagent:"$jamm" \
    -Dcassandra.config="file://$dir/conf/cassandra.yaml" -Dlogback.configurationFile="$dir/conf/logback.xml" \
    -Dcassandra.storagedir="$dir/data" -Dcassandra-foreground=yes -Dcassandra.jmx.local.port=0 \
    -Dcassandra.skip_wait_for_gossip_to_settle=0 -Dcassandra.ring_delay_ms=100 -Dcassandra.superuser_setup_delay_ms=0 \
    -cp "$dir/conf:$PULSE_LIB/cassandra/*" org.apache.cassandra.service.CassandraDaemon
  wait_for "$PULSE_UP_TIMEOUT" port_open "$CASSANDRA_PORT"
}

apply_cassandra_ddl() {
  local secrets=""; secure && secrets=$SECRETS_DIR
  PULSE_SECRETS_DIR=$secrets "$(java_bin)" -cp "$PULSE_LIB/cassandra/*" "$STACK_DIR/tools/CqlApply.java" 127.0.0.1 "$CASSANDRA_PORT" 120 "$DDL_DIR/cassandra.cql"
}

# ---------------------------------------------------------------- Flink

# The /metrics URLs of the Prometheus reporters that answer, comma separated (for stack.env); on stderr,
# which ports they opened on every interface and how to look at them.
flink_prometheus_urls() {
  local port role first=$FLINK_PROM_PORT_JM last=$((FLINK_PROM_PORT_TM + $(flink_taskmanagers) - 1)) urls=() open=() targets=()
  for ((port = first; port <= last; port++)); do
    port_open "$port" || continue
    role=$(curl -s --max-time 5 "http://127.0.0.1:$port/metrics" 2>/dev/null | grep -m1 -o '^flink_[a-z]*manager')
    [ -n "$role" ] || continue
    urls+=("http://127.0.0.1:$port/metrics"); open+=("$port (${role#flink_})"); targets+=("127.0.0.1:$port")
  done
  if [ ${#urls[@]} -gt 0 ]; then
    local addresses; addresses=$(hostname -I 2>/dev/null | xargs)
    log "  ! Flink's Prometheus reporter listens on EVERY network interface, not on 127.0.0.1 only (Flink 1.20's"
    log "    reporter cannot bind one address): ports $(IFS=,; echo "${open[*]}" | sed 's/,/, /g')${addresses:+, reachable from other hosts at $addresses}"
    log "    look:       curl -s ${urls[${#urls[@]}-1]} | grep '^flink_taskmanager_job_task_operator_output_rowsOut'"
    log "    Prometheus: prometheus --config.file=$PULSE_ROOT/infra/compose/prometheus-local.yml \\"
    log "                  --web.listen-address=127.0.0.1:59990 --storage.tsdb.path=$PULSE_HOME/prometheus"
    command -v prometheus >/dev/null || log "                (not installed: apt-get install prometheus)"
    # prometheus-local.yml names the default ports of the JobManager and one TaskManager.
    [ "${targets[*]}" = "127.0.0.1:$((FLINK_PROM_PORT_JM - PULSE_PORT_OFFSET)) 127.0.0.1:$((FLINK_PROM_PORT_TM - PULSE_PORT_OFFSET))" ] \
      || log "                with these targets in that file: ${targets[*]}"
    log "    Grafana:    not packaged in Debian; README.md (PULSE_PROMETHEUS) says how to load the dashboard"
    log "    close them: ./pulse down && ./pulse up"
  elif [ "${PULSE_PROMETHEUS:-0}" = 1 ] && { selected flink-jobmanager || selected flink-taskmanager; }; then
    log "  ! PULSE_PROMETHEUS=1, but no Flink Prometheus reporter answers on ports $first-$last: a Flink started"
    log "    without it runs on without it. Restart Flink: ./pulse down && PULSE_PROMETHEUS=1 ./pulse up"
  fi
  (IFS=,; echo "${urls[*]}")
}

# Flink's config.yaml, with the Prometheus reporter when PULSE_PROMETHEUS=1.
flink_conf() {
  local dir; dir=$(svc_dir flink)
  mkdir -p "$dir/conf" "$dir/logs" "$dir/tmp" "$dir/checkpoints" "$dir/savepoints"
  render "$STACK_DIR/conf/flink-config.yaml" "$dir/conf/config.yaml"
  cp "$STACK_DIR/conf/flink-log4j.properties" "$dir/conf/log4j.properties"
  # Flink's Prometheus reporter binds every interface (PrometheusReporter in Flink 1.20 opens its HTTP server
  # on new InetSocketAddress(port) and has no host option), so it is opt-in; the REST API (127.0.0.1) serves
  # the same metrics.
  if [ "${PULSE_PROMETHEUS:-0}" = 1 ]; then
    cat >> "$dir/conf/config.yaml" <<EOF
metrics:
  reporter:
    prom:
      factory.class: org.apache.flink.metrics.prometheus.PrometheusReporterFactory
      port: $FLINK_PROM_PORT_JM-$((FLINK_PROM_PORT_TM + $(flink_taskmanagers) - 1))
EOF
  fi
}

flink_java_opts() { cat "$STACK_DIR/conf/flink-java17.opts"; }

flink_overview() { curl -sf "http://127.0.0.1:$FLINK_REST_PORT/overview"; }
flink_hint() { echo "see the JobManager/TaskManager logs under $(svc_dir flink)/logs; the classpath is $PULSE_LIB/flink"; }

flink-jobmanager_ports() { echo "$FLINK_REST_PORT $FLINK_RPC_PORT"; }
flink-jobmanager_endpoint() { echo "http://127.0.0.1:$FLINK_REST_PORT"; }
flink-jobmanager_hint() { flink_hint; }
flink-jobmanager_log() { echo "$(svc_dir flink)/logs/jobmanager.log"; }
flink-jobmanager_ready() { flink_overview >/dev/null; }

flink-taskmanager_ports() { echo ""; }
flink-taskmanager_endpoint() {
  local n; n=$(flink_overview 2>/dev/null | grep -o '"taskmanagers":[0-9]*' | cut -d: -f2)
  echo "${n:-0} of $(flink_taskmanagers) registered with the JobManager, ${PULSE_TASKMANAGER_SLOTS:-4} slots each (./pulse jobs lists them)"
}
flink-taskmanager_hint() { flink_hint; }
flink-taskmanager_log() { echo "$(svc_dir flink)/logs/taskmanager.log"; }
flink-taskmanager_ready() {
  pid_alive "$(svc_pid flink-taskmanager)" || return 1
  local n; n=$(flink_overview | grep -o '"taskmanagers":[0-9]*' | cut -d: -f2)
  [ "${n:-0}" -ge "$(flink_taskmanagers)" ]
}

start_flink-jobmanager() {
  flink_conf
  local dir; dir=$(svc_dir flink)
  mkdir -p "$(svc_dir flink-jobmanager)"
  # shellcheck disable=SC2046
  spawn flink-jobmanager "$dir/logs/jobmanager.out" "$(java_bin)" -Xms512m -Xmx512m $(flink_java_opts) \
    -Dlog.file="$dir/logs/jobmanager.log" -Dlog4j.configurationFile="file:$dir/conf/log4j.properties" \
    -cp "$PULSE_LIB/flink/*" org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint --configDir "$dir/conf"
  wait_for 90 flink-jobmanager_ready
}

# PULSE_TASKMANAGERS TaskManager processes (default: as many as the last `up` started, first 1),
# PULSE_TASKMANAGER_SLOTS slots each (default 4). TaskManager i keeps its PID in pid (i = 1) or pid.<i>.
flink_taskmanagers() { cat "$(svc_dir flink-taskmanager)/count" 2>/dev/null || echo "${PULSE_TASKMANAGERS:-1}"; }
tm_pidfile() { if [ "$1" -eq 1 ]; then echo "$(svc_dir flink-taskmanager)/pid"; else echo "$(svc_dir flink-taskmanager)/pid.$1"; fi; }

# Starts the TaskManagers that are not running (a second `up` after one died restarts just that one).
start_flink-taskmanager() {
  flink_conf
  local dir; dir=$(svc_dir flink)
  mkdir -p "$(svc_dir flink-taskmanager)"
  local n=${PULSE_TASKMANAGERS:-$(cat "$(svc_dir flink-taskmanager)/count" 2>/dev/null || echo 1)}
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "PULSE_TASKMANAGERS must be a whole number >= 1, got '$n'" >> "$(svc_log flink-taskmanager)"; return 1; }
  stop_flink-taskmanager "$((n + 1))" # any beyond the count the last `up` had
  echo "$n" > "$(svc_dir flink-taskmanager)/count"
  # The TaskManager's memory settings are computed the way Flink's own scripts do.
  local params jvm dyn
  params=$("$(java_bin)" -cp "$PULSE_LIB/flink/*" org.apache.flink.runtime.util.bash.BashJavaUtils \
    GET_TM_RESOURCE_PARAMS --configDir "$dir/conf" 2>"$dir/logs/bashjavautils.log" | sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p')
  jvm=$(echo "$params" | sed -n 1p); dyn=$(echo "$params" | sed -n 2p)
  [ -n "$jvm" ] || { cat "$dir/logs/bashjavautils.log" >> "$dir/logs/taskmanager.log"; return 1; }
  local i
  for ((i = 1; i <= n; i++)); do
    pid_alive "$(cat "$(tm_pidfile "$i")" 2>/dev/null)" && continue
    local suffix=""; [ "$i" -gt 1 ] && suffix="-$i"
    # shellcheck disable=SC2046,SC2086
    setsid "$(java_bin)" $jvm $(flink_java_opts) \
      -Dlog.file="$dir/logs/taskmanager$suffix.log" -Dlog4j.configurationFile="file:$dir/conf/log4j.properties" \
      -cp "$PULSE_LIB/flink/*" org.apache.flink.runtime.taskexecutor.TaskManagerRunner --configDir "$dir/conf" $dyn \
      >>"$dir/logs/taskmanager$suffix.out" 2>&1 < /dev/null &
    echo $! > "$(tm_pidfile "$i")"
  done
  wait_for 120 flink-taskmanager_ready
}

# Stops TaskManager FROM (default 1) and every one after it: TERM, up to 30 s, then KILL.
stop_flink-taskmanager() {
  local from=${1:-1} f pid pids=()
  for f in "$(svc_dir flink-taskmanager)"/pid "$(svc_dir flink-taskmanager)"/pid.*; do
    [ -f "$f" ] || continue
    local i=${f##*/pid}; i=${i#.}; i=${i:-1}
    [ "$i" -ge "$from" ] || continue
    pid=$(cat "$f"); rm -f "$f"
    pid_alive "$pid" && kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  done
  local deadline=$((SECONDS + 30))
  for pid in "${pids[@]}"; do
    while pid_alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
  done
  return 0
}

# Running: every TaskManager's process alive, and as many registered with the JobManager.
flink-taskmanager_running() {
  local i
  for ((i = 1; i <= $(flink_taskmanagers); i++)); do pid_alive "$(cat "$(tm_pidfile "$i")" 2>/dev/null)" || return 1; done
  flink-taskmanager_ready
}

# ---------------------------------------------------------------- mock-external

mock_jar() { ls "$PULSE_ROOT"/mock-external/target/mock-external-*-all.jar 2>/dev/null | head -1; }
mock-external_ports() { echo "$MOCK_PORT"; }
mock-external_endpoint() { echo "http://127.0.0.1:$MOCK_PORT"; }
mock-external_hint() { echo "build it first: ./mvnw -q -pl mock-external -am package -DskipTests"; }
mock-external_ready() { curl -sf "http://127.0.0.1:$MOCK_PORT/stats" >/dev/null; }

start_mock-external() {
  local jar; jar=$(mock_jar)
  [ -n "$jar" ] || { echo "mock-external jar not built" > "$(svc_log mock-external)"; return 1; }
  spawn mock-external "$(svc_log mock-external)" "$(java_bin)" -Xmx256m -jar "$jar" --port "$MOCK_PORT" --max-keys 200000 --ledger "$(svc_dir mock-external)/ledger.jsonl"
  wait_for 30 mock-external_ready
}

# ---------------------------------------------------------------- generic start/stop/status

svc_running() { # ours, alive and answering
  if has_fn "$1_running"; then "$1_running"; else pid_alive "$(svc_pid "$1")" && svc_ready "$1"; fi
}

kill_pid() { # kill_pid SERVICE: TERM, wait up to 30 s, then KILL
  local svc=$1 pid; pid=$(svc_pid "$svc")
  [ -n "$pid" ] || return 0
  if pid_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null
    local deadline=$((SECONDS + 30))
    while pid_alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$(svc_dir "$svc")/pid"
}

stop_svc() { if has_fn "stop_$1"; then "stop_$1"; else kill_pid "$1"; fi; }

# A port taken by something that is not ours stops `up` before anything starts.
check_ports_free() {
  local svc=$1 port
  for port in $(svc_ports "$svc"); do
    if port_open "$port"; then
      log "pulse: port $port (for $svc) is in use by another process."
      log "       Stop that process, or move the whole stack with PULSE_PORT_OFFSET=<n> ./pulse up"
      return 1
    fi
  done
}

start_one() { # runs in a subshell; writes the outcome to $PULSE_HOME/<svc>/outcome
  local svc=$1 started=$SECONDS
  mkdir -p "$(svc_dir "$svc")"
  rm -f "$(svc_dir "$svc")/outcome"
  if "start_$svc"; then
    echo "ok $((SECONDS - started))" > "$(svc_dir "$svc")/outcome"
  else
    echo "failed $((SECONDS - started))" > "$(svc_dir "$svc")/outcome"
  fi
}

report_failure() {
  local svc=$1 logfile; logfile=$(svc_log "$svc")
  log ""
  log "pulse: $svc did not become ready. Last lines of $logfile:"
  tail -n 25 "$logfile" 2>/dev/null | cut -c1-300 | sed 's/^/    /' >&2
  log "  fix: $(svc_hint "$svc")"
}

selected() { case " $PULSE_SERVICES " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

stack_up() {
  mkdir -p "$PULSE_HOME" "$PULSE_LIB"
  ensure_packages
  ensure_mode
  local jars=()
  selected kafka && jars+=(kafka)
  selected cassandra && jars+=(cassandra)
  { selected flink-jobmanager || selected flink-taskmanager; } && jars+=(flink)
  ensure_server_jars "${jars[@]}"
  if selected mock-external && { [ -z "$(mock_jar)" ] || [ -n "$(find "$PULSE_ROOT/mock-external/src/main" "$PULSE_ROOT/mock-external/pom.xml" -newer "$(mock_jar)" -print -quit 2>/dev/null)" ]; }; then
    log "building mock-external (missing or older than its sources) ..."
    "$PULSE_ROOT/mvnw" -q -B -f "$PULSE_ROOT/pom.xml" -pl mock-external -am package -DskipTests >"$PULSE_HOME/build-mock.log" 2>&1 \
      || { tail -20 "$PULSE_HOME/build-mock.log" >&2; die "could not build mock-external (log: $PULSE_HOME/build-mock.log)"; }
  fi

  local svc to_start=() began=$SECONDS
  for svc in $PULSE_SERVICES; do
    if svc_running "$svc"; then
      log "  = $svc already up at $(svc_endpoint "$svc")"
    else
      check_ports_free "$svc" || die "cannot start $svc"
      to_start+=("$svc")
    fi
  done
  if [ ${#to_start[@]} -gt 0 ]; then
    log "starting ${to_start[*]} ..."
    # The TaskManager registers with the JobManager, so it starts after it; the rest start at once.
    local pids=() tm=""
    for svc in "${to_start[@]}"; do
      if [ "$svc" = flink-taskmanager ]; then tm=1; continue; fi
      start_one "$svc" & pids+=($!)
    done
    if [ -n "$tm" ]; then
      ( if selected flink-jobmanager; then
          deadline=$((SECONDS + 120))
          until flink-jobmanager_ready || [ $SECONDS -ge $deadline ]; do sleep 0.3; done
        fi
        start_one flink-taskmanager ) & pids+=($!)
    fi
    progress_until_done "${pids[@]}" &
    local progress=$!
    wait "${pids[@]}" 2>/dev/null
    kill "$progress" 2>/dev/null; wait "$progress" 2>/dev/null
    printf '\r\033[K' >&2

    local failed=() outcome
    for svc in "${to_start[@]}"; do
      outcome=$(cat "$(svc_dir "$svc")/outcome" 2>/dev/null || echo "failed ?")
      if [ "${outcome%% *}" = ok ]; then
        log "  + $svc ready in ${outcome#* }s at $(svc_endpoint "$svc")"
      else
        failed+=("$svc")
      fi
    done
    if [ ${#failed[@]} -gt 0 ]; then
      for svc in "${failed[@]}"; do report_failure "$svc"; done
      log ""
      log "pulse: stopping the servers that did start, so nothing is left half up ..."
      stack_down >/dev/null 2>&1
      exit 1
    fi
  fi
  apply_schema || { stack_down >/dev/null 2>&1; exit 1; }
  write_stack_env
  log "stack up in $((SECONDS - began))s; endpoints in $PULSE_HOME/stack.env"
  if selected flink-taskmanager && has_fn jobs_resume_after_up; then jobs_resume_after_up; fi
}

progress_until_done() {
  local began=$SECONDS
  [ -t 2 ] || return 0
  while true; do
    local done=0 total=0 svc
    for svc in $PULSE_SERVICES; do
      total=$((total + 1)); [ -f "$(svc_dir "$svc")/outcome" ] && done=$((done + 1))
    done
    printf '\r  waiting for servers: %d/%d ready-or-failed, %ds ' "$done" "$total" $((SECONDS - began)) >&2
    sleep 1
  done
}

apply_schema() {
  local rc=0 pids=()
  if selected postgres; then
    apply_postgres_ddl >"$PULSE_HOME/ddl-postgres.log" 2>&1 || { log "pulse: PostgreSQL DDL failed:"; cat "$PULSE_HOME/ddl-postgres.log" >&2; rc=1; }
  fi
  if selected clickhouse; then
    apply_clickhouse_ddl >"$PULSE_HOME/ddl-clickhouse.log" 2>&1 || { log "pulse: ClickHouse DDL failed:"; cat "$PULSE_HOME/ddl-clickhouse.log" >&2; rc=1; }
  fi
  # The two JVM-based steps run side by side.
  if selected kafka; then create_kafka_topics >"$PULSE_HOME/ddl-kafka.log" 2>&1 & pids+=("kafka:$!"); fi
  if selected cassandra; then apply_cassandra_ddl >"$PULSE_HOME/ddl-cassandra.log" 2>&1 & pids+=("cassandra:$!"); fi
  local entry
  for entry in "${pids[@]}"; do
    wait "${entry#*:}" || { log "pulse: ${entry%%:*} schema step failed:"; cat "$PULSE_HOME/ddl-${entry%%:*}.log" >&2; rc=1; }
  done
  if [ $rc -eq 0 ]; then
    local applied=()
    selected postgres && applied+=("PostgreSQL tables")
    selected cassandra && applied+=("Cassandra pulse.user_events")
    selected clickhouse && applied+=("ClickHouse pulse.engagement_enriched")
    selected kafka && applied+=("Kafka topics")
    [ ${#applied[@]} -gt 0 ] && log "  schema applied: $(IFS=,; echo "${applied[*]}" | sed 's/,/, /g')"
  fi
  return $rc
}

write_stack_env() {
  cat > "$PULSE_HOME/stack.env" <<EOF
# Endpoints of the Pulse local stack (written by ./pulse up). Source it: set -a; . $PULSE_HOME/stack.env; set +a
PULSE_HOME=$PULSE_HOME
PULSE_POSTGRES_HOST=127.0.0.1
PULSE_POSTGRES_PORT=$PG_PORT
PULSE_POSTGRES_DATABASE=$PG_DB
PULSE_POSTGRES_USER=postgres
PULSE_POSTGRES_JDBC_URL=jdbc:postgresql://127.0.0.1:$PG_PORT/$PG_DB$(secure && echo "?sslmode=verify-full&sslrootcert=$SECRETS_DIR/ca.pem")
PULSE_REDIS_HOST=127.0.0.1
PULSE_REDIS_PORT=$REDIS_PORT
PULSE_CLICKHOUSE_URL=$(clickhouse_url)
PULSE_CLICKHOUSE_NATIVE_PORT=$CH_TCP_PORT
PULSE_KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_PORT
PULSE_CASSANDRA_HOST=127.0.0.1
PULSE_CASSANDRA_PORT=$CASSANDRA_PORT
PULSE_CASSANDRA_DC=datacenter1
PULSE_FLINK_REST=http://127.0.0.1:$FLINK_REST_PORT
PULSE_FLINK_CONF_DIR=$(svc_dir flink)/conf
PULSE_FLINK_PROMETHEUS=$(flink_prometheus_urls)
PULSE_MOCK_EXTERNAL_URL=http://127.0.0.1:$MOCK_PORT
PULSE_LAKE_DIR=$PULSE_HOME/lake
EOF
  if secure; then
    chmod 600 "$PULSE_HOME/stack.env"
    cat >> "$PULSE_HOME/stack.env" <<EOF
# Secure mode: every store asks for a login and speaks TLS; each job's settings: PULSE_STACK_SETTINGS_DIR/<job>.settings.
PULSE_SECURE=1
PULSE_POSTGRES_PASSWORD=$(secret)
PULSE_STACK_SETTINGS_DIR=$SECRETS_DIR
PULSE_KAFKA_PROPERTIES_FILE=$SECRETS_DIR/kafka-client.properties
PULSE_TLS_CA=$SECRETS_DIR/ca.pem
EOF
  fi
}

stack_down() {
  local svc order=() pids=()
  if selected flink-taskmanager && has_fn jobs_stop_for_down; then jobs_stop_for_down; fi
  # Reverse start order: the TaskManager before the JobManager, the rest in parallel.
  for svc in $PULSE_SERVICES; do order=("$svc" "${order[@]}"); done
  if selected flink-taskmanager; then stop_svc flink-taskmanager; log "  - flink-taskmanager stopped"; fi
  for svc in "${order[@]}"; do
    [ "$svc" = flink-taskmanager ] && continue
    ( stop_svc "$svc"; log "  - $svc stopped" ) & pids+=($!)
  done
  wait "${pids[@]}" 2>/dev/null
  # Anything of ours still listening is reported, never silently left behind.
  local port left=0
  for svc in $PULSE_SERVICES; do
    for port in $(svc_ports "$svc"); do
      if port_open "$port"; then log "pulse: port $port ($svc) is still open after down"; left=1; fi
    done
  done
  rm -f "$PULSE_HOME/stack.env"
  [ $left -eq 0 ] && log "stack down"
  return $left
}

stack_status() {
  local svc state rc=0
  printf '%-18s %-5s %s\n' SERVICE STATE ENDPOINT
  for svc in $PULSE_SERVICES; do
    if svc_running "$svc"; then state=up; else state=down; rc=3; fi
    printf '%-18s %-5s %s\n' "$svc" "$state" "$(svc_endpoint "$svc")"
  done
  [ -f "$PULSE_HOME/stack.env" ] && printf '\nendpoints: %s\n' "$PULSE_HOME/stack.env"
  return $rc
}
