# shellcheck shell=bash
# ./pulse demo and ./pulse report: the whole pipeline on the local stack, then what each sink holds.
# Sourced by ./pulse after infra/stack/stack.sh.

demo_usage() {
  cat <<USAGE
Usage: ./pulse demo [--duration 60s] [--rate 500] [--engagement-rate 20]
  Builds what is missing, starts the local stack, submits the ingest and process jobs to the stack's
  Flink cluster (once; a second demo reuses them), runs the producer for --duration (activity to
  Kafka at --rate events/s, engagement rows to PostgreSQL at --engagement-rate ops/s), waits until
  the process job has read everything, and prints what each sink holds. The stack stays up:
  ./pulse report prints the report again, ./pulse down stops everything.
USAGE
}

# The id of the RUNNING Flink job with this name, if any.
flink_running_job() {
  # Each job is {"jid":..,"name":..,...,"state":..,...,"tasks":{...}}: no brace before "state".
  curl -sf "http://127.0.0.1:$FLINK_REST_PORT/jobs/overview" \
    | grep -o '"jid":"[^"]*","name":"'"$1"'"[^{}]*"state":"RUNNING"' | head -1 | cut -d'"' -f4
}

# Waits until the named job runs with every task RUNNING (a submitted job first schedules, then deploys).
await_job_running() { # await_job_running NAME SECONDS
  local deadline=$((SECONDS + $2)) tasks running total
  while [ $SECONDS -lt $deadline ]; do
    tasks=$(curl -sf "http://127.0.0.1:$FLINK_REST_PORT/jobs/overview" \
      | grep -o '"name":"'"$1"'"[^{}]*"state":"RUNNING"[^{}]*"tasks":{[^}]*}' | head -1)
    running=$(grep -o '"running":[0-9]*' <<<"$tasks" | cut -d: -f2)
    total=$(grep -o '"total":[0-9]*' <<<"$tasks" | cut -d: -f2)
    [ -n "$total" ] && [ "$running" = "$total" ] && return 0
    sleep 1
  done
  return 1
}

cmd_demo() {
  local duration=60s rate=500 engagement_rate=20
  while [ $# -gt 0 ]; do
    case $1 in
      --duration) duration=$2; shift 2 ;;
      --rate) rate=$2; shift 2 ;;
      --engagement-rate) engagement_rate=$2; shift 2 ;;
      -h|--help) demo_usage; return 0 ;;
      *) demo_usage >&2; die "unknown option $1" ;;
    esac
  done
  local began=$SECONDS
  mkdir -p "$PULSE_HOME"
  log "pulse demo: 1/5 building what is missing ..."
  local producer_jar ingest_jar process_jar
  producer_jar=$(module_jar producer 'producer-*-all.jar') || exit 1
  ingest_jar=$(module_jar ingest-job 'ingest-job-*-job.jar') || exit 1
  process_jar=$(module_jar process-job 'process-job-*-job.jar') || exit 1

  log "pulse demo: 2/5 starting the local stack ..."
  ( stack_up ) || die "the stack did not start (see above)"

  log "pulse demo: 3/5 submitting the jobs to the Flink cluster at http://127.0.0.1:$FLINK_REST_PORT ..."
  local job
  for job in ingest-job process-job; do
    local name=pulse-${job%-job}
    if [ -n "$(flink_running_job "$name")" ]; then
      log "  = $name is already running"
      continue
    fi
    ( cmd_submit "$job" ) > "$PULSE_HOME/demo-submit-$job.log" 2>&1 \
      || { tail -20 "$PULSE_HOME/demo-submit-$job.log" >&2; die "submitting $job failed (log: $PULSE_HOME/demo-submit-$job.log)"; }
    await_job_running "$name" 120 || die "$name did not reach RUNNING in 2 minutes: see http://127.0.0.1:$FLINK_REST_PORT and $(svc_dir flink)/logs"
    log "  + $name running"
  done

  log "pulse demo: 4/5 producing traffic for $duration (activity $rate/s to Kafka, engagement $engagement_rate ops/s to PostgreSQL) ..."
  load_stack_env
  # Simulated users move through their sessions faster than the wall clock: start a few hours back,
  # so the event times of the run end near now and the windows of the past hours close.
  local start; start=$(date -u -d "-4 hours" +%Y-%m-%dT%H:%M:%SZ)
  "$(java_bin)" -jar "$producer_jar" produce --duration "$duration" --rate "$rate" --engagement \
    --engagement-rate "$engagement_rate" --start-time "$start" || die "the producer failed (see above)"

  log "pulse demo: 5/5 waiting for the process job to read everything, then reading every sink ..."
  cmd_report --wait 300
  cat <<WHERE

Where to look (the stack stays up):
  Flink UI        http://127.0.0.1:$FLINK_REST_PORT
  PostgreSQL      psql -h 127.0.0.1 -p $PG_PORT -U postgres $PG_DB -c 'SELECT * FROM session_kpis LIMIT 5'
  Redis           redis-cli -p $REDIS_PORT ZREVRANGE leaderboard 0 9 WITHSCORES
  ClickHouse      clickhouse-client --port $CH_TCP_PORT -q 'SELECT count() FROM pulse.engagement_enriched FINAL'
  mock-external   curl http://127.0.0.1:$MOCK_PORT/stats
  lake            $PULSE_HOME/lake
  again           ./pulse report         more traffic: ./pulse demo (the jobs keep running)
  stop            ./pulse down
pulse demo: done in $((SECONDS - began)) s
WHERE
}

cmd_report() {
  local tools_jar; tools_jar=$(module_jar tools 'tools-*-all.jar') || exit 1
  [ -f "$PULSE_HOME/stack.env" ] || die "the stack is not up: ./pulse up (or ./pulse demo)"
  load_stack_env
  "$(java_bin)" -Dlog.file="$PULSE_HOME/report.log" -Dlog4j.configurationFile="file:$STACK_DIR/conf/flink-log4j.properties" \
    -cp "$tools_jar:$PULSE_LIB/flink/*" io.pulse.tools.SinkReport "$@"
}
