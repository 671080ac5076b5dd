# shellcheck shell=bash
# ./pulse bench: benchmarks, each against a baseline measured in the same run. Sourced by ./pulse
# after infra/stack/stack.sh. Results: bench/results/<name>-<timestamp>.json (+ a line per figure).

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
       ./pulse bench pipeline [--events N] [--seconds S]
         the whole job with every sink on: sustained events/s over a backlog of N events (default 1000000),
         then end-to-end latency p50/p99/max at half that rate for S seconds (default 60)
Runs on the local stack, started first when a server a benchmark needs is down. Results go to bench/results/.
USAGE
}

cmd_bench() {
  local what=${1:-}; [ $# -gt 0 ] && shift
  case $what in
    producer) bench_producer "$@" ;;
    process) bench_process "$@" ;;
    sinks) bench_sinks "$@" ;;
    pipeline) bench_pipeline "$@" ;;
    hostile) bench_hostile "$@" ;;
    scale) bench_scale "$@" ;;
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

bench_producer() {
  local events=1000000 rounds=3
  while [ $# -gt 0 ]; do
    case $1 in
      --events) events=$2; shift 2 ;;
      --rounds) rounds=$2; shift 2 ;;
      *) die "unknown option $1 (bench producer takes --events N --rounds R)" ;;
    esac
  done
  ensure_stack kafka
  ensure_server_jars kafka-tools
  local jar; jar=$(module_jar producer 'producer-*-all.jar') || exit 1
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  local topic_pulse="bench-producer-pulse-$stamp" topic_kafka="bench-producer-kafka-$stamp"
  "$(java_bin)" -cp "$PULSE_LIB/kafka/*" "$STACK_DIR/tools/KafkaTopics.java" "127.0.0.1:$KAFKA_PORT" 60 \
    "$topic_pulse:2" "$topic_kafka:2" >/dev/null || die "cannot create the benchmark topics"
  mkdir -p "$BENCH_RESULTS"
  local out="$PULSE_HOME/bench-producer-$stamp.log"

  # Same records on both sides: the Pulse producer's JSON events, and ProducerPerformance fed the
  # very same lines through --payload-file (its default payload is one repeated, compressible record).
  local payload="$PULSE_HOME/bench-producer-$stamp.jsonl"
  local gen=(--rate 0 --seed 1 --start-time 2025-01-01T00:00:00Z --late-share 0 --malformed-share 0 --format json)
  "$(java_bin)" -jar "$jar" produce --events "$events" "${gen[@]}" --to-file "$payload" > "$out" 2>&1 \
    || { cat "$out" >&2; die "could not write the payload file"; }

  # Alternating rounds, median of each: this machine is shared and absolute rates drift.
  local round pulse_rates=() kafka_rates=() value_bytes record_size
  for round in $(seq 1 "$rounds"); do
    log "bench producer: round $round/$rounds: Pulse producer, $events events (json, keyed by user, acks=all, idempotent) ..."
    "$(java_bin)" -jar "$jar" produce --bootstrap "127.0.0.1:$KAFKA_PORT" --topic "$topic_pulse" --events "$events" \
      "${gen[@]}" > "$out.pulse" 2>&1 || { cat "$out.pulse" >&2; die "the Pulse producer run failed"; }
    cat "$out.pulse" >> "$out"
    pulse_rates+=("$(sed -n 's/^activity rate: .* s, \([0-9.]*\) events\/s.*/\1/p' "$out.pulse")")
    value_bytes=$(sed -n 's/.* failed, \([0-9]*\) value bytes$/\1/p' "$out.pulse")
    record_size=$(( value_bytes / events ))
    log "bench producer: round $round/$rounds: ProducerPerformance, the same $events records (avg $record_size bytes) ..."
    "$(java_bin)" -cp "$PULSE_LIB/kafka-tools/*" org.apache.kafka.tools.ProducerPerformance --topic "$topic_kafka" \
      --num-records "$events" --payload-file "$payload" --throughput -1 \
      --producer-props "bootstrap.servers=127.0.0.1:$KAFKA_PORT" acks=all enable.idempotence=true linger.ms=5 \
        batch.size=262144 compression.type=lz4 > "$out.kafka" 2>&1 || { cat "$out.kafka" >&2; die "ProducerPerformance failed"; }
    cat "$out.kafka" >> "$out"
    kafka_rates+=("$(grep -E "^$events records sent" "$out.kafka" | sed -E 's/.* records sent, ([0-9.]+) records\/sec.*/\1/')")
  done
  rm -f "$out.pulse" "$out.kafka"
  local pulse_rate kafka_rate
  pulse_rate=$(printf '%s\n' "${pulse_rates[@]}" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  kafka_rate=$(printf '%s\n' "${kafka_rates[@]}" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  rm -f "$payload"
  [ -n "$pulse_rate" ] && [ -n "$kafka_rate" ] || { cat "$out" >&2; die "could not read the rates from $out"; }
  local ratio; ratio=$(awk -v a="$pulse_rate" -v b="$kafka_rate" 'BEGIN{printf "%.3f", a / b}')
  local file="$BENCH_RESULTS/producer-$stamp.json"
  cat > "$file" <<JSON
{
  "benchmark": "producer",
  "timestamp": "$stamp",
  "machine": "$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1 | tr -d '"')",
  "events": $events,
  "record_bytes": $record_size,
  "settings": "the same JSON records on both sides (ProducerPerformance --payload-file); acks=all, enable.idempotence=true, linger.ms=5, batch.size=262144, compression.type=lz4, 2 partitions; Pulse keys by user_id, ProducerPerformance sends no key",
  "rounds": $rounds,
  "pulse_producer_events_per_s_rounds": [$(IFS=,; echo "${pulse_rates[*]}")],
  "kafka_producer_performance_records_per_s_rounds": [$(IFS=,; echo "${kafka_rates[*]}")],
  "pulse_producer_events_per_s": $pulse_rate,
  "kafka_producer_performance_records_per_s": $kafka_rate,
  "ratio": $ratio,
  "goal": ">= 0.9"
}
JSON
  printf 'producer: Pulse %.0f events/s, ProducerPerformance %.0f records/s, ratio %s (goal >= 0.9)\n' "$pulse_rate" "$kafka_rate" "$ratio"
  log "results: $file"
  "$(java_bin)" -cp "$PULSE_LIB/kafka/*" "$STACK_DIR/tools/KafkaTopics.java" "127.0.0.1:$KAFKA_PORT" 60 --delete "$topic_pulse" "$topic_kafka" >/dev/null 2>&1 || true
}

bench_process() {
  local events=2000000 backend=rocksdb
  while [ $# -gt 0 ]; do
    case $1 in
      --events) events=$2; shift 2 ;;
      --state-backend) backend=$2; shift 2 ;;
      *) die "unknown option $1 (bench process takes --events N --state-backend rocksdb|hashmap)" ;;
    esac
  done
  ensure_stack kafka
  ensure_server_jars flink flink-table
  local producer_jar bench_jar
  producer_jar=$(module_jar producer 'producer-*-all.jar') || exit 1
  bench_jar=$(module_jar bench 'bench-*-all.jar') || exit 1
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  local topic="bench-process-$stamp"
  "$(java_bin)" -cp "$PULSE_LIB/kafka/*" "$STACK_DIR/tools/KafkaTopics.java" "127.0.0.1:$KAFKA_PORT" 60 "$topic:2" >/dev/null \
    || die "cannot create the benchmark topic"
  log "bench process: writing $events events to $topic ..."
  "$(java_bin)" -jar "$producer_jar" produce --bootstrap "127.0.0.1:$KAFKA_PORT" --topic "$topic" --events "$events" \
    --rate 0 --seed 1 --users 2000 --start-time 2025-01-01T00:00:00Z --late-share 0.01 --malformed-share 0.001 \
    --format avro > "$PULSE_HOME/bench-process-$stamp.log" 2>&1 || { cat "$PULSE_HOME/bench-process-$stamp.log" >&2; die "filling the topic failed"; }
  mkdir -p "$BENCH_RESULTS" "$PULSE_HOME/bench"
  log "bench process: measuring (3 alternating rounds) ..."
  # shellcheck disable=SC2046
  "$(java_bin)" -Xmx2g $(flink_java_opts) -Dlog.file="$PULSE_HOME/bench/process-$stamp.flink.log" \
    -Dlog4j.configurationFile="file:$STACK_DIR/conf/flink-log4j.properties" \
    -cp "$bench_jar:$PULSE_LIB/flink/*:$PULSE_LIB/flink-table/*" io.pulse.bench.ProcessBenchmark "127.0.0.1:$KAFKA_PORT" "$topic" "$events" \
    "$(stack_pids)" "$BENCH_RESULTS/process-$stamp.json" "$backend" || die "the benchmark failed (Flink log: $PULSE_HOME/bench/process-$stamp.flink.log)"
  log "results: $BENCH_RESULTS/process-$stamp.json"
  if [ "${PULSE_BENCH_SPARK:-1}" = 1 ]; then
    bench_spark_peer "$topic" "$events" "$BENCH_RESULTS/spark-$stamp.json" || die "the Spark peer failed (log: $PULSE_HOME/bench/spark-$stamp.log)"
    log "results: $BENCH_RESULTS/spark-$stamp.json"
  fi
  "$(java_bin)" -cp "$PULSE_LIB/kafka/*" "$STACK_DIR/tools/KafkaTopics.java" "127.0.0.1:$KAFKA_PORT" 60 --delete "$topic" >/dev/null 2>&1 || true
}

bench_scale() {
  local events=1000000
  while [ $# -gt 0 ]; do
    case $1 in
      --events) events=$2; shift 2 ;;
      *) die "unknown option $1 (bench scale takes --events N)" ;;
    esac
  done
  ensure_stack kafka
  ensure_server_jars flink
  local producer_jar bench_jar
  producer_jar=$(module_jar producer 'producer-*-all.jar') || exit 1
  bench_jar=$(module_jar bench 'bench-*-all.jar') || exit 1
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  local topic="bench-scale-$stamp"
  "$(java_bin)" -cp "$PULSE_LIB/kafka/*" "$STACK_DIR/tools/KafkaTopics.java" "127.0.0.1:$KAFKA_PORT" 60 "$topic:4" >/dev/null \
    || die "cannot create the benchmark topic"
  log "bench scale: writing $events events to $topic (4 partitions) ..."
  "$(java_bin)" -jar "$producer_jar" produce --bootstrap "127.0.0.1:$KAFKA_PORT" --topic "$topic" --events "$events" \
    --rate 0 --seed 1 --users 2000 --start-time 2025-01-01T00:00:00Z --late-share 0.01 --malformed-share 0.001 \
    --format avro > "$PULSE_HOME/bench-scale-$stamp.log" 2>&1 || { cat "$PULSE_HOME/bench-scale-$stamp.log" >&2; die "filling the topic failed"; }
  mkdir -p "$BENCH_RESULTS" "$PULSE_HOME/bench"
  log "bench scale: parallelism 1, 2, 4 on 1 and 2 TaskManagers ..."
  # shellcheck disable=SC2046
  "$(java_bin)" -Xmx3g $(flink_java_opts) -Dlog.file="$PULSE_HOME/bench/scale-$stamp.flink.log" \
    -Dlog4j.configurationFile="file:$STACK_DIR/conf/flink-log4j.properties" \
    -cp "$bench_jar:$PULSE_LIB/flink/*" io.pulse.bench.ScaleBenchmark "127.0.0.1:$KAFKA_PORT" "$topic" "$events" \
    "$(stack_pids)" "$BENCH_RESULTS/scale-$stamp.json" || die "the benchmark failed (Flink log: $PULSE_HOME/bench/scale-$stamp.flink.log)"
  log "results: $BENCH_RESULTS/scale-$stamp.json"
  "$(java_bin)" -cp "$PULSE_LIB/kafka/*" "$STACK_DIR/tools/KafkaTopics.java" "127.0.0.1:$KAFKA_PORT" 60 --delete "$topic" >/dev/null 2>&1 || true
}

bench_hostile() {
  local events=1000000 hostile=10000
  while [ $# -gt 0 ]; do
    case $1 in
      --events) events=$2; shift 2 ;;
      --hostile) hostile=$2; shift 2 ;;
      *) die "unknown option $1 (bench hostile takes --events N --hostile H)" ;;
    esac
  done
  ensure_stack kafka
  ensure_server_jars flink
  local producer_jar bench_jar
  producer_jar=$(module_jar producer 'producer-*-all.jar') || exit 1
  bench_jar=$(module_jar bench 'bench-*-all.jar') || exit 1
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  local clean="bench-hostile-clean-$stamp" mixed="bench-hostile-mixed-$stamp"
  "$(java_bin)" -cp "$PULSE_LIB/kafka/*" "$STACK_DIR/tools/KafkaTopics.java" "127.0.0.1:$KAFKA_PORT" 60 "$clean:2" "$mixed:2" >/dev/null \
    || die "cannot create the benchmark topics"
  # The same seed and options on both topics: the same on-time events byte for byte; no late events, whose
  # lateness would depend on how the two partitions interleave in each run.
  local gen=(--rate 0 --seed 1 --users 2000 --start-time 2025-01-01T00:00:00Z --late-share 0 --malformed-share 0 --format avro)
  log "bench hostile: writing $events events to $clean, and the same with $hostile hostile records to $mixed ..."
  "$(java_bin)" -jar "$producer_jar" produce --bootstrap "127.0.0.1:$KAFKA_PORT" --topic "$clean" --events "$events" "${gen[@]}" \
    > "$PULSE_HOME/bench-hostile-$stamp.log" 2>&1 || { cat "$PULSE_HOME/bench-hostile-$stamp.log" >&2; die "filling $clean failed"; }
  "$(java_bin)" -jar "$producer_jar" produce --bootstrap "127.0.0.1:$KAFKA_PORT" --topic "$mixed" --events "$events" "${gen[@]}" \
    --hostile "$hostile" >> "$PULSE_HOME/bench-hostile-$stamp.log" 2>&1 \
    || { cat "$PULSE_HOME/bench-hostile-$stamp.log" >&2; die "filling $mixed failed"; }
  mkdir -p "$BENCH_RESULTS" "$PULSE_HOME/bench"
  log "bench hostile: measuring (a warm-up, then 3 alternating rounds clean / with hostile records) ..."
  local status=0
  # shellcheck disable=SC2046
  "$(java_bin)" -Xmx2g $(flink_java_opts) -Dlog.file="$PULSE_HOME/bench/hostile-$stamp.flink.log" \
    -Dlog4j.configurationFile="file:$STACK_DIR/conf/flink-log4j.properties" \
    -cp "$bench_jar:$PULSE_LIB/flink/*" io.pulse.bench.HostileSoakBenchmark "127.0.0.1:$KAFKA_PORT" "$clean" "$mixed" "$events" \
    "$hostile" "$(stack_pids)" "$BENCH_RESULTS/hostile-$stamp.json" || status=$?
  "$(java_bin)" -cp "$PULSE_LIB/kafka/*" "$STACK_DIR/tools/KafkaTopics.java" "127.0.0.1:$KAFKA_PORT" 60 --delete "$clean" "$mixed" >/dev/null 2>&1 || true
  [ $status -eq 0 ] || die "the hostile soak failed (Flink log: $PULSE_HOME/bench/hostile-$stamp.flink.log)"
  log "results: $BENCH_RESULTS/hostile-$stamp.json"
}

# CPU seconds of every stack process tree, read from /proc by the benchmarks' own reader (StackCpu).
stack_cpu_seconds() {
  "$(java_bin)" -cp "$1" io.pulse.bench.StackCpu "$(stack_pids)"
}

# The Spark Structured Streaming peer (bench/spark-peer, built here on first use: Spark is not part of
# ./pulse build) over the same topic: TOPIC EVENTS RESULT_FILE.
bench_spark_peer() {
  local topic=$1 events=$2 file=$3 dir=$PULSE_ROOT/bench/spark-peer
  local jar; jar=$(ls "$dir"/target/spark-peer-*.jar 2>/dev/null | head -1)
  if [ -z "$jar" ] || [ ! -d "$dir/target/lib" ] \
      || [ -n "$(find "$dir/src" "$dir/pom.xml" "$PULSE_ROOT/event-model/src" -newer "$jar" 2>/dev/null | head -1)" ]; then
    log "bench process: building the Spark peer (bench/spark-peer; the first build downloads Spark, ~220 MB) ..."
    (cd "$PULSE_ROOT" && ./mvnw -q -B -Pspark-peer -pl bench/spark-peer -am -DskipTests package) \
      > "$PULSE_HOME/bench/spark-peer-build.log" 2>&1 || { tail -30 "$PULSE_HOME/bench/spark-peer-build.log" >&2; return 1; }
    jar=$(ls "$dir"/target/spark-peer-*.jar | head -1)
  fi
  log "bench process: Spark Structured Streaming, local[2], the same windows on the same topic ..."
  local stamp=${file##*/spark-}; stamp=${stamp%.json}
  local log_file="$PULSE_HOME/bench/spark-$stamp.log" cpu_before cpu_after
  local bench_jar; bench_jar=$(module_jar bench 'bench-*-all.jar') || return 1
  cpu_before=$(stack_cpu_seconds "$bench_jar")
  "$(java_bin)" -Xmx3g --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED \
    --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED \
    --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED \
    --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED \
    --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED \
    -Djdk.reflect.useDirectMethodHandle=false \
    -cp "$jar:$dir/target/lib/*" io.pulse.bench.spark.SparkPeer "127.0.0.1:$KAFKA_PORT" "$topic" "$events" > "$log_file.out" 2> "$log_file" \
    || { tail -30 "$log_file" >&2; return 1; }
  cpu_after=$(stack_cpu_seconds "$bench_jar")
  local line; line=$(grep '^{' "$log_file.out" | tail -1)
  [ -n "$line" ] || { cat "$log_file.out" "$log_file" | tail -30 >&2; return 1; }
  printf '{"benchmark": "spark", "timestamp": "%s", "machine": "%s cores", "setup": "Spark %s Structured Streaming, local[2], RocksDB state store, 3 queries (page views 1 min, active users 5/1 min exact distinct, per user/device KPIs 5 min), 2-min watermark, append mode, noop sinks, Trigger.AvailableNow", "stack_cpu_s": %s, "result": %s}\n' \
    "$stamp" "$(nproc)" "3.5.7" "$(awk -v a="$cpu_before" -v b="$cpu_after" 'BEGIN{printf "%.2f", b - a}')" "$line" > "$file"
  sed -n 's/.*"events_per_s": \([0-9]*\).*/process: Spark Structured Streaming peer \1 events\/s/p' "$file"
}

bench_sinks() {
  local rows=200000
  while [ $# -gt 0 ]; do
    case $1 in
      --rows) rows=$2; shift 2 ;;
      *) die "unknown option $1 (bench sinks takes --rows N)" ;;
    esac
  done
  ensure_stack postgres redis clickhouse kafka cassandra
  ensure_server_jars flink
  local bench_jar; bench_jar=$(module_jar bench 'bench-*-all.jar') || exit 1
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  mkdir -p "$BENCH_RESULTS" "$PULSE_HOME/bench"
  load_stack_env
  log "bench sinks: $rows rows per sink, Pulse's sink then the store's bulk path, one after the other ..."
  # shellcheck disable=SC2046
  "$(java_bin)" -Xmx2g $(flink_java_opts) -Dlog.file="$PULSE_HOME/bench/sinks-$stamp.flink.log" \
    -Dlog4j.configurationFile="file:$STACK_DIR/conf/flink-log4j.properties" \
    -cp "$bench_jar:$PULSE_LIB/flink/*" io.pulse.bench.SinkBenchmark "$BENCH_RESULTS/sinks-$stamp.json" "$rows" \
    || die "the benchmark failed (Flink log: $PULSE_HOME/bench/sinks-$stamp.flink.log)"
  log "results: $BENCH_RESULTS/sinks-$stamp.json and .md"
}

bench_pipeline() {
  local events=1000000 seconds=60
  while [ $# -gt 0 ]; do
    case $1 in
      --events) events=$2; shift 2 ;;
      --seconds) seconds=$2; shift 2 ;;
      *) die "unknown option $1 (bench pipeline takes --events N --seconds S)" ;;
    esac
  done
  ensure_stack postgres redis clickhouse kafka cassandra mock-external
  ensure_server_jars flink
  local producer_jar bench_jar
  producer_jar=$(module_jar producer 'producer-*-all.jar') || exit 1
  bench_jar=$(module_jar bench 'bench-*-all.jar') || exit 1
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  local topic="bench-pipeline-backlog-$stamp"
  "$(java_bin)" -cp "$PULSE_LIB/kafka/*" "$STACK_DIR/tools/KafkaTopics.java" "127.0.0.1:$KAFKA_PORT" 60 "$topic:2" >/dev/null \
    || die "cannot create the benchmark topic"
  mkdir -p "$BENCH_RESULTS" "$PULSE_HOME/bench"
  log "bench pipeline: writing a backlog of $events events to $topic ..."
  "$(java_bin)" -jar "$producer_jar" produce --bootstrap "127.0.0.1:$KAFKA_PORT" --topic "$topic" --events "$events" \
    --rate 0 --seed 1 --users 2000 --start-time 2025-01-01T00:00:00Z --late-share 0.01 --malformed-share 0.001 \
    --format avro > "$PULSE_HOME/bench-pipeline-$stamp.log" 2>&1 || { cat "$PULSE_HOME/bench-pipeline-$stamp.log" >&2
      "$(java_bin)" -cp "$PULSE_LIB/kafka/*" "$STACK_DIR/tools/KafkaTopics.java" "127.0.0.1:$KAFKA_PORT" 60 --delete "$topic" >/dev/null 2>&1
      die "filling the topic failed"; }
  load_stack_env
  log "bench pipeline: the whole job, every sink on: sustained rate, then latency at half of it for $seconds s ..."
  # shellcheck disable=SC2046
  "$(java_bin)" -Xmx3g $(flink_java_opts) ${PULSE_BENCH_JAVA_OPTS:-} -Dlog.file="$PULSE_HOME/bench/pipeline-$stamp.flink.log" \
    -Dlog4j.configurationFile="file:$STACK_DIR/conf/flink-log4j.properties" \
    -cp "$bench_jar:$PULSE_LIB/flink/*" io.pulse.bench.PipelineBenchmark "$BENCH_RESULTS/pipeline-$stamp.json" \
    "$producer_jar" "$DDL_DIR/cassandra.cql" "$events" "$seconds" "$(stack_pids)" "$topic" \
    || { "$(java_bin)" -cp "$PULSE_LIB/kafka/*" "$STACK_DIR/tools/KafkaTopics.java" "127.0.0.1:$KAFKA_PORT" 60 --delete "$topic" >/dev/null 2>&1
         die "the benchmark failed (Flink log: $PULSE_HOME/bench/pipeline-$stamp.flink.log)"; }
  log "results: $BENCH_RESULTS/pipeline-$stamp.json"
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
  log "bench ${size#--} 1/4: producer vs ProducerPerformance ($producer_events events x $producer_rounds) ..."
  ( bench_producer --events "$producer_events" --rounds "$producer_rounds" ) || die "the producer benchmark failed"
  local producer_file; producer_file=$(ls -t "$BENCH_RESULTS"/producer-*.json | head -1)
  log "bench ${size#--} 2/4: process job vs raw consume+decode, Flink SQL and Spark ($process_events events) ..."
  ( bench_process --events "$process_events" ) || die "the process benchmark failed"
  local process_file spark_file peers=()
  process_file=$(ls -t "$BENCH_RESULTS"/process-*.json | head -1)
  spark_file=$(ls -t "$BENCH_RESULTS"/spark-*.json 2>/dev/null | head -1)
  [ "${spark_file##*/spark-}" = "${process_file##*/process-}" ] && peers=("$spark_file")
  log "bench ${size#--} 3/4: each sink vs its store's bulk path ($sink_rows rows) ..."
  ( bench_sinks --rows "$sink_rows" ) || die "the sink benchmark failed"
  local sinks_file; sinks_file=$(ls -t "$BENCH_RESULTS"/sinks-*.json | head -1)
  log "bench ${size#--} 4/4: the whole pipeline, every sink on: sustained rate ($pipeline_events events), latency at half of it ($pipeline_seconds s) ..."
  ( bench_pipeline --events "$pipeline_events" --seconds "$pipeline_seconds" ) || die "the pipeline benchmark failed"
  local pipeline_file; pipeline_file=$(ls -t "$BENCH_RESULTS"/pipeline-*.json | head -1)
  "$(java_bin)" -Djava.awt.headless=true -cp "$bench_jar" io.pulse.bench.BenchSummary "$BENCH_RESULTS/$stamp" \
    "$producer_file" "$process_file" "${peers[@]}" "$sinks_file" "$pipeline_file" || die "could not write the summary"
  log "bench ${size#--}: done in $((SECONDS - began)) s"
}
