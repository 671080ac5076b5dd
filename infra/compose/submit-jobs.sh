#!/bin/bash
# The pulse-jobs service of docker compose: submits each Pulse job once. A job that runs already is
# left alone; one that ran before (its id in /tmp/flink/pulse-jobs/<name>.jobid) resumes from its newest
# savepoint or retained checkpoint; otherwise it starts fresh. Settings come from the environment
# (PULSE_<KEY>, see README "Job settings").
set -u
FLINK="/opt/flink/bin/flink"
JM="flink-jobmanager:8081"
STATE=/tmp/flink/pulse-jobs
mkdir -p "$STATE"
until "$FLINK" list -m "$JM" >/dev/null 2>&1; do sleep 2; done

# newest_state JOBID: the newest savepoint or retained checkpoint of that job, if any.
newest_state() {
  ls -td /tmp/flink/savepoints/savepoint-"${1:0:6}"-* "/tmp/flink/checkpoints/$1"/chk-* 2>/dev/null \
    | while read -r dir; do [ -f "$dir/_metadata" ] && { echo "$dir"; break; }; done
}

submit() { # submit NAME JAR_DIR JAR_GLOB
  local name=$1 dir=$2 glob=$3 jar previous from out id
  if "$FLINK" list -r -m "$JM" 2>/dev/null | grep -q ": $name (RUNNING)"; then
    echo "$name is running already: left alone"
    return 0
  fi
  jar=$(ls "$dir"/$glob | head -1)
  previous=$(cat "$STATE/$name.jobid" 2>/dev/null)
  from=""
  [ -n "$previous" ] && from=$(newest_state "$previous")
  if [ -n "$from" ]; then
    echo "$name: resuming from $from"
    out=$("$FLINK" run -d -m "$JM" -s "$from" "$jar" 2>&1)
  else
    echo "$name: starting fresh"
    out=$("$FLINK" run -d -m "$JM" "$jar" 2>&1)
  fi
  echo "$out" | tail -3
  id=$(echo "$out" | grep -o 'JobID [0-9a-f]*' | awk '{print $2}' | tail -1)
  [ -n "$id" ] || { echo "$name was not submitted"; return 1; }
  echo "$id" > "$STATE/$name.jobid"
}

submit pulse-ingest /jobs/ingest 'ingest-job-*-job.jar' || exit 1
submit pulse-process /jobs/process 'process-job-*-job.jar' || exit 1
