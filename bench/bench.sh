# shellcheck shell=bash
# ./pulse bench: benchmarks, each against a baseline measured in the same run. Sourced by ./pulse
# after infra/stack/stack.sh. Results: bench/results/<name>-<timestamp>.json (+ a line per figure).

BENCH_DIR=$PULSE_ROOT/bench
BENCH_RESULTS=${PULSE_BENCH_RESULTS:-$BENCH_DIR/results}

bench_usage() {
  cat <<USAGE
Usage: ./pulse bench [--quick|--full]      every benchmark below in one run (full by default, ~7 min; quick:
                                           ~2.5 min), then one JSON, a Markdown table and a PNG chart
       ./pulse bench producer [--events N] [--rounds R]
         producer events/s vs Kafka's ProducerPerformance on the same records (default 1000000 x 3 rounds)
       ./pulse bench process [--events N]    raw Kafka consume+decode vs the process job with discarding sinks,
                                              and the same windows in Flink SQL
                                              (default 2000000 events)
       ./pulse bench sinks [--rows N]        each sink of the process job vs its store's bulk path, same rows
                                              (default 200000 rows)
Runs on the local stack (./pulse up first). Results go to bench/results/.
USAGE
}

cmd_bench() {
  local what=${1:-}; [ $# -gt 0 ] && shift
  case $what in
    producer) bench_producer "$@" ;;
    process) bench_process "$@" ;;
    sinks) bench_sinks "$@" ;;
    ""|--full|--quick) bench_all "${what:---full}" ;;
    -h|--help) bench_usage ;;
    *) bench_usage >&2; die "unknown benchmark '$what'" ;;
  esac
}

# CPU seconds (user+system) a process has used, from /proc.
proc_cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat" 2>/dev/null || echo 0
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
  port_open "$KAFKA_PORT" || die "Kafka is not up: start the stack with ./pulse up"
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
  port_open "$KAFKA_PORT" || die "Kafka is not up: start the stack with ./pulse up"
  ensure_server_jars flink flink-table
  local producer_jar job_jar
  producer_jar=$(module_jar producer 'producer-*-all.jar') || exit 1
  job_jar=$(module_jar process-job 'process-job-*-job.jar') || exit 1
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  local topic="bench-process-$stamp"
  "$(java_bin)" -cp "$PULSE_LIB/kafka/*" "$STACK_DIR/tools/KafkaTopics.java" "127.0.0.1:$KAFKA_PORT" 60 "$topic:2" >/dev/null \
    || die "cannot create the benchmark topic"
  log "bench process: writing $events events to $topic ..."
  "$(java_bin)" -jar "$producer_jar" produce --bootstrap "127.0.0.1:$KAFKA_PORT" --topic "$topic" --events "$events" \
    --rate 0 --seed 1 --users 2000 --start-time 2025-01-01T00:00:00Z --late-share 0.01 --malformed-share 0.001 \
    --format avro > "$PULSE_HOME/bench-process-$stamp.log" 2>&1 || { cat "$PULSE_HOME/bench-process-$stamp.log" >&2; die "filling the topic failed"; }
  mkdir -p "$BENCH_RESULTS" "$PULSE_HOME/bench"
  log "bench process: measuring (2 alternating rounds) ..."
  # shellcheck disable=SC2046
  "$(java_bin)" -Xmx2g $(flink_java_opts) -Dlog.file="$PULSE_HOME/bench/process-$stamp.flink.log" \
    -Dlog4j.configurationFile="file:$STACK_DIR/conf/flink-log4j.properties" \
    -cp "$job_jar:$PULSE_LIB/flink/*:$PULSE_LIB/flink-table/*" io.pulse.process.bench.ProcessBenchmark "127.0.0.1:$KAFKA_PORT" "$topic" "$events" \
    "$(svc_pid kafka)" "$BENCH_RESULTS/process-$stamp.json" "$backend" || die "the benchmark failed (Flink log: $PULSE_HOME/bench/process-$stamp.flink.log)"
  log "results: $BENCH_RESULTS/process-$stamp.json"
  "$(java_bin)" -cp "$PULSE_LIB/kafka/*" "$STACK_DIR/tools/KafkaTopics.java" "127.0.0.1:$KAFKA_PORT" 60 --delete "$topic" >/dev/null 2>&1 || true
}

bench_sinks() {
  local rows=200000
  while [ $# -gt 0 ]; do
    case $1 in
      --rows) rows=$2; shift 2 ;;
      *) die "unknown option $1 (bench sinks takes --rows N)" ;;
    esac
  done
  local svc
  for svc in postgres redis clickhouse kafka cassandra; do
    svc_running "$svc" || die "$svc is not up: start the stack with ./pulse up"
  done
  ensure_server_jars flink
  local job_jar; job_jar=$(module_jar process-job 'process-job-*-job.jar') || exit 1
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  mkdir -p "$BENCH_RESULTS" "$PULSE_HOME/bench"
  load_stack_env
  log "bench sinks: $rows rows per sink, Pulse's sink then the store's bulk path, one after the other ..."
  # shellcheck disable=SC2046
  "$(java_bin)" -Xmx2g $(flink_java_opts) -Dlog.file="$PULSE_HOME/bench/sinks-$stamp.flink.log" \
    -Dlog4j.configurationFile="file:$STACK_DIR/conf/flink-log4j.properties" \
    -cp "$job_jar:$PULSE_LIB/flink/*" io.pulse.process.bench.SinkBenchmark "$BENCH_RESULTS/sinks-$stamp.json" "$rows" \
    || die "the benchmark failed (Flink log: $PULSE_HOME/bench/sinks-$stamp.flink.log)"
  log "results: $BENCH_RESULTS/sinks-$stamp.json and .md"
}

# Every benchmark at one size, then the combined results (BenchSummary): <stamp>.json, .md, .png.
bench_all() {
  local size=$1 producer_events producer_rounds process_events sink_rows
  case $size in
    --quick) producer_events=200000 producer_rounds=1 process_events=300000 sink_rows=50000 ;;
    --full) producer_events=1000000 producer_rounds=3 process_events=2000000 sink_rows=200000 ;;
  esac
  local stamp began=$SECONDS; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  log "bench ${size#--}: starting the local stack if needed ..."
  ( stack_up ) >/dev/null || die "the stack did not start: ./pulse up shows why"
  local job_jar; job_jar=$(module_jar process-job 'process-job-*-job.jar') || exit 1
  log "bench ${size#--} 1/3: producer vs ProducerPerformance ($producer_events events x $producer_rounds) ..."
  ( bench_producer --events "$producer_events" --rounds "$producer_rounds" ) || die "the producer benchmark failed"
  local producer_file; producer_file=$(ls -t "$BENCH_RESULTS"/producer-*.json | head -1)
  log "bench ${size#--} 2/3: process job vs raw consume+decode ($process_events events) ..."
  ( bench_process --events "$process_events" ) || die "the process benchmark failed"
  local process_file; process_file=$(ls -t "$BENCH_RESULTS"/process-*.json | head -1)
  log "bench ${size#--} 3/3: each sink vs its store's bulk path ($sink_rows rows) ..."
  ( bench_sinks --rows "$sink_rows" ) || die "the sink benchmark failed"
  local sinks_file; sinks_file=$(ls -t "$BENCH_RESULTS"/sinks-*.json | head -1)
  "$(java_bin)" -Djava.awt.headless=true -cp "$job_jar" io.pulse.process.bench.BenchSummary "$BENCH_RESULTS/$stamp" \
    "$producer_file" "$process_file" "$sinks_file" || die "could not write the summary"
  log "bench ${size#--}: done in $((SECONDS - began)) s"
}
