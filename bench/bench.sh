# shellcheck shell=bash
# ./pulse bench: a thin dispatcher. It makes sure the stack and the jars a benchmark needs are there,
# then runs io.pulse.bench.Bench (bench module), which creates and fills the topics, measures, writes
# bench/results/<name>-<timestamp>.json and prints a line per figure. Sourced by ./pulse after
# infra/stack/stack.sh.

BENCH_DIR=$PULSE_ROOT/bench
BENCH_RESULTS=${PULSE_BENCH_RESULTS:-$BENCH_DIR/results}

bench_usage() {
  cat <<USAGE
Usage: ./pulse bench [--quick|--full]      every benchmark below in one run (full by default, ~11 min; quick:
                                           ~5 min), then one JSON, a Markdown table and a PNG chart
       ./pulse bench producer [--events N] [--rounds R]
         producer events/s vs Kafka's ProducerPerformance on the same records (default 1000000 x 3 rounds)
       ./pulse bench process [--events N] [--state-backend rocksdb|hashmap]
                                              raw Kafka consume+decode vs the process job with discarding sinks,
                                              and the same windows in Flink SQL and in Spark Structured
                                              Streaming local[2] (PULSE_BENCH_SPARK=0 skips Spark)
                                              (default 2000000 events)
       ./pulse bench sinks [--rows N]        each sink of the process job vs its store's bulk path, same rows
                                              (default 200000 rows)
       ./pulse bench hostile [--events N] [--hostile H]
         the process job over N on-time events without and with H hostile records mixed in (default 1000000
         and 10000): outputs exact, dead_letter = H, no job failure, sustained rate with/without (goal >= 0.95)
       ./pulse bench scale [--events N]
         the process job (discarding sinks) and its source alone at parallelism 1, 2 and 4 on 1 and 2
         TaskManagers: sustained rate and CPU per event of each (default 1000000 events, topic of 4 partitions)
       ./pulse bench pipeline [--events N] [--seconds S] [--sink-rows R] [--latency-rate E]
         the whole job with every sink on: sustained events/s over a backlog of N events (default 1000000), what
         it keeps up with beside the producer, end-to-end latency p50/p99/max at half of that for S seconds
         (default 60), then per store: rows/s and CPU µs/row in the pipeline, and its sink alone vs the store's
         own path on R rows (default 100000; 0 skips it); JSON, Markdown and PNG in bench/results/;
         --latency-rate E runs the latency at E events/s instead (no live-capacity rounds: to compare settings)
Runs on the local stack, started first when a server a benchmark needs is down. Results go to bench/results/.
USAGE
}

cmd_bench() {
  local what=${1:-}; [ $# -gt 0 ] && shift
  case $what in
    producer) bench_run producer "kafka" "kafka-tools" "$@" ;;
    process) bench_run process "kafka" "flink flink-table" "$@" ;;
    scale) bench_run scale "kafka" "flink" "$@" ;;
    sinks) bench_run sinks "postgres redis clickhouse kafka cassandra" "flink" "$@" ;;
    pipeline) bench_run pipeline "postgres redis clickhouse kafka cassandra mock-external" "flink" --cassandra-ddl "$DDL_DIR/cassandra.cql" "$@" ;;
    hostile) bench_run hostile "kafka" "flink" "$@" ;;
    ""|--full|--quick) bench_all "${what:---full}" ;;
    -h|--help) bench_usage ;;
    *) bench_usage >&2; die "unknown benchmark '$what'" ;;
  esac
}

# name=pid,... of every running server of the stack, for the CPU figures (StackCpu reads /proc).
stack_pids() {
  local svc pid list=""
  for svc in $PULSE_SERVICES; do
    case $svc in
      postgres) pid=$(head -1 "$(pg_data_dir)/postmaster.pid" 2>/dev/null) ;;
      *) pid=$(svc_pid "$svc") ;;
    esac
    pid_alive "$pid" && list="$list${list:+,}$svc=$pid"
  done
  echo "$list"
}

# The stack a benchmark needs: started (as ./pulse up does) when any of these services is not running.
ensure_stack() {
  local svc
  for svc in "$@"; do
    if ! svc_running "$svc"; then
      log "bench: $svc is not running: starting the local stack (./pulse up) ..."
      ( stack_up ) || die "the stack did not start: see the lines above, or ./pulse status"
      return
    fi
  done
}

# The Spark peer's classpath (bench/spark-peer, built here on first use: Spark is not part of ./pulse build).
spark_peer_classpath() {
  local dir=$PULSE_ROOT/bench/spark-peer jar
  jar=$(ls "$dir"/target/spark-peer-*.jar 2>/dev/null | head -1)
  if [ -z "$jar" ] || [ ! -d "$dir/target/lib" ] \
      || [ -n "$(find "$dir/src" "$dir/pom.xml" "$PULSE_ROOT/event-model/src" -newer "$jar" 2>/dev/null | head -1)" ]; then
    log "bench process: building the Spark peer (bench/spark-peer; the first build downloads Spark, ~220 MB) ..."
    (cd "$PULSE_ROOT" && ./mvnw -q -B -Pspark-peer -pl bench/spark-peer -am -DskipTests package) \
      > "$PULSE_HOME/bench/spark-peer-build.log" 2>&1 || { tail -30 "$PULSE_HOME/bench/spark-peer-build.log" >&2; return 1; }
    jar=$(ls "$dir"/target/spark-peer-*.jar | head -1)
  fi
  echo "$jar:$dir/target/lib/*"
}

# bench_run NAME "SERVICES" "SERVER_JARS" ARGS...: io.pulse.bench.Bench NAME on the stack.
bench_run() {
  local name=$1 services=$2 jars=$3; shift 3
  ensure_stack $services
  # shellcheck disable=SC2086
  ensure_server_jars $jars
  mkdir -p "$BENCH_RESULTS" "$PULSE_HOME/bench"
  local producer_jar bench_jar cp extra=()
  producer_jar=$(module_jar producer 'producer-*-all.jar') || exit 1
  bench_jar=$(module_jar bench 'bench-*-all.jar') || exit 1
  cp="$bench_jar"
  local j; for j in $jars; do cp="$cp:$PULSE_LIB/$j/*"; done
  case $name in
    producer) extra=(--kafka-tools-classpath "$PULSE_LIB/kafka-tools/*") ;;
    process) if [ "${PULSE_BENCH_SPARK:-1}" = 1 ]; then
               local spark; spark=$(spark_peer_classpath) || die "the Spark peer did not build (log: $PULSE_HOME/bench/spark-peer-build.log)"
               extra=(--spark-classpath "$spark")
             fi ;;
  esac
  load_stack_env
  local flink_log="$PULSE_HOME/bench/$name-$(date -u +%Y%m%dT%H%M%SZ).flink.log"
  # shellcheck disable=SC2046
  "$(java_bin)" -Xmx3g $(flink_java_opts) ${PULSE_BENCH_JAVA_OPTS:-} -Dlog.file="$flink_log" \
    -Dlog4j.configurationFile="file:$STACK_DIR/conf/flink-log4j.properties" -cp "$cp" io.pulse.bench.Bench "$name" \
    --bootstrap "127.0.0.1:$KAFKA_PORT" --stack-pids "$(stack_pids)" --results "$BENCH_RESULTS" \
    --producer-jar "$producer_jar" --logs "$PULSE_HOME/bench" "${extra[@]}" "$@" \
    || die "bench $name failed (Flink log: $flink_log; producer logs in $PULSE_HOME/bench)"
}

# Every benchmark at one size, then the combined results (BenchSummary): <stamp>.json, .md, .png.
bench_all() {
  local size=$1 producer_events producer_rounds process_events sink_rows pipeline_events pipeline_seconds
  case $size in
    --quick) producer_events=200000 producer_rounds=1 process_events=300000 sink_rows=50000 pipeline_events=100000 pipeline_seconds=20 ;;
    --full) producer_events=1000000 producer_rounds=3 process_events=2000000 sink_rows=200000 pipeline_events=400000 pipeline_seconds=60 ;;
  esac
  local stamp began=$SECONDS; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  log "bench ${size#--}: starting the local stack if needed ..."
  ( stack_up ) >/dev/null || die "the stack did not start: ./pulse up shows why"
  local bench_jar; bench_jar=$(module_jar bench 'bench-*-all.jar') || exit 1
  log "bench ${size#--} 1/3: producer vs ProducerPerformance ($producer_events events x $producer_rounds) ..."
  ( cmd_bench producer --events "$producer_events" --rounds "$producer_rounds" ) || die "the producer benchmark failed"
  local producer_file; producer_file=$(ls -t "$BENCH_RESULTS"/producer-*.json | head -1)
  log "bench ${size#--} 2/3: process job vs raw consume+decode, Flink SQL and Spark ($process_events events) ..."
  ( cmd_bench process --events "$process_events" ) || die "the process benchmark failed"
  local process_file spark_file peers=()
  process_file=$(ls -t "$BENCH_RESULTS"/process-*.json | head -1)
  spark_file=$(ls -t "$BENCH_RESULTS"/spark-*.json 2>/dev/null | head -1)
  [ "${spark_file##*/spark-}" = "${process_file##*/process-}" ] && peers=("$spark_file")
  log "bench ${size#--} 3/3: the whole pipeline, every sink on: sustained rate ($pipeline_events events), latency at half of it ($pipeline_seconds s), each sink vs its store's own path ($sink_rows rows) ..."
  ( cmd_bench pipeline --events "$pipeline_events" --seconds "$pipeline_seconds" --sink-rows "$sink_rows" ) || die "the pipeline benchmark failed"
  local pipeline_file; pipeline_file=$(ls -t "$BENCH_RESULTS"/pipeline-*.json | grep -v -- -summary | head -1)
  "$(java_bin)" -Djava.awt.headless=true -cp "$bench_jar" io.pulse.bench.Bench summary "$BENCH_RESULTS/$stamp" \
    "$producer_file" "$process_file" "${peers[@]}" "$pipeline_file" || die "could not write the summary"
  log "bench ${size#--}: done in $((SECONDS - began)) s"
}
