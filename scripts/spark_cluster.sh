#!/usr/bin/env bash
# A Spark cluster on this machine for `dbt build --target spark_cluster` (docs/spark.md,
# "A real cluster"): a standalone master, two workers and a Spark Connect server whose
# driver keeps the warehouse and the metastore in RW_SPARK_DIR, all bound to 127.0.0.1.
#
#   scripts/spark_cluster.sh start    start what is not running yet (idempotent)
#   scripts/spark_cluster.sh stop     stop exactly what start started (its pid files)
#   scripts/spark_cluster.sh status   what runs, with its pid
#
# Everything the daemons write (pid files, logs, SPARK_LOCAL_DIRS, the workers' folders)
# goes under RW_SPARK_CLUSTER_DIR (default data/spark-cluster, git-ignored). Ports and
# memory are variables (defaults below; not Spark's defaults, so a Spark of your own on
# 7077/8080/15002 is left alone). Spark comes from the pyspark package of
# RW_SPARK_PYTHON (default .venv/bin/python): its bin/spark-class, sbin/spark-daemon.sh and jars.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${RW_SPARK_PYTHON:-$REPO/.venv/bin/python}"
[[ -x "$PYTHON" ]] || PYTHON="$(command -v python3)"
CLUSTER_DIR="$(mkdir -p "${RW_SPARK_CLUSTER_DIR:-$REPO/data/spark-cluster}" && cd "${RW_SPARK_CLUSTER_DIR:-$REPO/data/spark-cluster}" && pwd)"
SPARK_DIR="$(mkdir -p "${RW_SPARK_DIR:-$REPO/data/spark}" && cd "${RW_SPARK_DIR:-$REPO/data/spark}" && pwd)"

HOST=127.0.0.1
MASTER_PORT="${RW_SPARK_MASTER_PORT:-7177}"
MASTER_UI_PORT="${RW_SPARK_MASTER_UI_PORT:-8180}"
WORKER_PORTS=("${RW_SPARK_WORKER1_PORT:-7178}" "${RW_SPARK_WORKER2_PORT:-7179}")
WORKER_UI_PORTS=("${RW_SPARK_WORKER1_UI_PORT:-8181}" "${RW_SPARK_WORKER2_UI_PORT:-8182}")
CONNECT_PORT="${RW_SPARK_CONNECT_PORT:-15012}"
CONNECT_UI_PORT="${RW_SPARK_CONNECT_UI_PORT:-4140}"
MASTER_MEMORY="${RW_SPARK_MASTER_MEMORY:-256m}"      # heap of the master and worker daemons
WORKER_MEMORY="${RW_SPARK_WORKER_MEMORY:-1g}"        # what each worker offers its executor
EXECUTOR_MEMORY="${RW_SPARK_EXECUTOR_MEMORY:-768m}"  # executor heap, inside WORKER_MEMORY
DRIVER_MEMORY="${RW_SPARK_DRIVER_MEMORY:-2g}"        # the Connect server's driver

MASTER_CLASS=org.apache.spark.deploy.master.Master
WORKER_CLASS=org.apache.spark.deploy.worker.Worker
CONNECT_CLASS=org.apache.spark.sql.connect.service.SparkConnectServer

SPARK_HOME="$("$PYTHON" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
export SPARK_HOME
export SPARK_CONF_DIR="$CLUSTER_DIR/conf"  # empty: no spark-env.sh or defaults from elsewhere
export SPARK_PID_DIR="$CLUSTER_DIR/pids"
export SPARK_LOG_DIR="$CLUSTER_DIR/logs"
export SPARK_LOCAL_DIRS="$CLUSTER_DIR/local"
export SPARK_WORKER_DIR="$CLUSTER_DIR/work"
export SPARK_LOCAL_IP="$HOST"
export SPARK_DAEMON_MEMORY="$MASTER_MEMORY"
export SPARK_IDENT_STRING=rw
export PYSPARK_PYTHON="$PYTHON"
mkdir -p "$SPARK_CONF_DIR" "$SPARK_PID_DIR" "$SPARK_LOG_DIR" "$SPARK_LOCAL_DIRS" "$SPARK_WORKER_DIR"

pid_file() { echo "$SPARK_PID_DIR/spark-$SPARK_IDENT_STRING-$1-$2.pid"; }

running() {  # running CLASS INSTANCE: the daemon's pid file names a live java process
    local file
    file="$(pid_file "$1" "$2")"
    [[ -f "$file" ]] && [[ "$(ps -p "$(cat "$file")" -o comm= 2>/dev/null)" == java ]]
}

port_taken() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

free_port() {  # free_port PORT VARIABLE: fail with a clear message when PORT is in use
    if port_taken "$1"; then
        echo "spark_cluster.sh: port $1 on $HOST is taken by another process;" \
            "set $2 to a free port (or stop what listens there)" >&2
        exit 1
    fi
}

wait_for_port() {  # wait_for_port PORT NAME CLASS INSTANCE: up to 180 s (a JVM start is slow on a busy machine)
    local waited=0 log="$SPARK_LOG_DIR/spark-$SPARK_IDENT_STRING-$3-$4-$HOSTNAME.out"
    until port_taken "$1"; do
        if ! running "$3" "$4"; then
            echo "spark_cluster.sh: $2 exited before listening on $HOST:$1; see $log" >&2
            exit 1
        fi
        if ((waited >= 180)); then
            echo "spark_cluster.sh: $2 did not listen on $HOST:$1 within 180 s; see $log" >&2
            exit 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
}

daemon() {  # the daemons must not inherit the caller's descriptors beyond 0-2: under
    # `flock /tmp/rw-spark.lock scripts/spark_cluster.sh start` they held the lock for as
    # long as they ran (bash reads this script on 255)
    local fd
    for fd in /proc/$$/fd/*; do
        fd="${fd##*/}"
        if ((fd > 2 && fd < 255)); then eval "exec $fd>&-"; fi
    done
    "$SPARK_HOME/sbin/spark-daemon.sh" "$@" >/dev/null
}

start_master() {
    if running "$MASTER_CLASS" 1; then
        echo "master already running (pid $(cat "$(pid_file "$MASTER_CLASS" 1)"))"
        return
    fi
    free_port "$MASTER_PORT" RW_SPARK_MASTER_PORT
    free_port "$MASTER_UI_PORT" RW_SPARK_MASTER_UI_PORT
    daemon start "$MASTER_CLASS" 1 --host "$HOST" --port "$MASTER_PORT" \
        --webui-port "$MASTER_UI_PORT"
    wait_for_port "$MASTER_PORT" master "$MASTER_CLASS" 1
    echo "master spark://$HOST:$MASTER_PORT (UI http://$HOST:$MASTER_UI_PORT)"
}

start_worker() {  # start_worker INSTANCE (1 or 2)
    local instance="$1" port="${WORKER_PORTS[$1 - 1]}" ui_port="${WORKER_UI_PORTS[$1 - 1]}"
    if running "$WORKER_CLASS" "$instance"; then
        echo "worker $instance already running (pid $(cat "$(pid_file "$WORKER_CLASS" "$instance")"))"
        return
    fi
    free_port "$port" "RW_SPARK_WORKER${instance}_PORT"
    free_port "$ui_port" "RW_SPARK_WORKER${instance}_UI_PORT"
    daemon start "$WORKER_CLASS" "$instance" --host "$HOST" --port "$port" \
        --webui-port "$ui_port" --cores 1 --memory "$WORKER_MEMORY" \
        --work-dir "$SPARK_WORKER_DIR/worker$instance" "spark://$HOST:$MASTER_PORT"
    wait_for_port "$port" "worker $instance" "$WORKER_CLASS" "$instance"
    echo "worker $instance on $HOST:$port, 1 core, $WORKER_MEMORY"
}

start_connect() {
    if running "$CONNECT_CLASS" 1; then
        echo "Spark Connect server already running (pid $(cat "$(pid_file "$CONNECT_CLASS" 1)"))"
        return
    fi
    free_port "$CONNECT_PORT" RW_SPARK_CONNECT_PORT
    free_port "$CONNECT_UI_PORT" RW_SPARK_CONNECT_UI_PORT
    # The driver owns the catalog: the warehouse folder and the Derby metastore in
    # RW_SPARK_DIR, as the session target's profile puts them. The executors run Python
    # (mapInPandas) with this interpreter and this checkout's package. Spark's launcher
    # gives the Connect server SPARK_DAEMON_MEMORY as its heap when set, before
    # --driver-memory: set it to the driver's.
    SPARK_DAEMON_MEMORY="$DRIVER_MEMORY" daemon submit "$CONNECT_CLASS" 1 --name "Spark Connect server" \
        --master "spark://$HOST:$MASTER_PORT" \
        --driver-memory "$DRIVER_MEMORY" \
        --driver-java-options "-Dderby.system.home=$SPARK_DIR" \
        --conf "spark.connect.grpc.binding.address=$HOST" \
        --conf "spark.connect.grpc.binding.port=$CONNECT_PORT" \
        --conf "spark.driver.host=$HOST" \
        --conf "spark.driver.bindAddress=$HOST" \
        --conf "spark.ui.port=$CONNECT_UI_PORT" \
        --conf "spark.executor.memory=$EXECUTOR_MEMORY" \
        --conf spark.executor.cores=1 \
        --conf spark.cores.max=2 \
        --conf "spark.local.dir=$SPARK_LOCAL_DIRS" \
        --conf spark.sql.catalogImplementation=hive \
        --conf "spark.sql.warehouse.dir=$SPARK_DIR/warehouse" \
        --conf "spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName=metastore_db;create=true" \
        --conf "spark.pyspark.python=$PYTHON" \
        --conf "spark.pyspark.driver.python=$PYTHON" \
        --conf "spark.executorEnv.PYTHONPATH=$REPO/src" \
        --conf spark.ui.showConsoleProgress=false
    wait_for_port "$CONNECT_PORT" "Spark Connect server" "$CONNECT_CLASS" 1
    echo "Spark Connect sc://$HOST:$CONNECT_PORT (driver UI http://$HOST:$CONNECT_UI_PORT)," \
        "warehouse and metastore in $SPARK_DIR"
}

stop_one() {  # stop_one CLASS INSTANCE NAME: only the process of our pid file
    if running "$1" "$2"; then
        daemon stop "$1" "$2"
        echo "stopped $3"
    else
        rm -f "$(pid_file "$1" "$2")"
    fi
}

case "${1:-start}" in
start)
    start_master
    start_worker 1
    start_worker 2
    start_connect
    echo "logs in $SPARK_LOG_DIR; stop with: make spark-cluster-stop (scripts/spark_cluster.sh stop)"
    ;;
stop)
    stop_one "$CONNECT_CLASS" 1 "Spark Connect server"
    stop_one "$WORKER_CLASS" 2 "worker 2"
    stop_one "$WORKER_CLASS" 1 "worker 1"
    stop_one "$MASTER_CLASS" 1 master
    ;;
status)
    for entry in "$MASTER_CLASS 1 master" "$WORKER_CLASS 1 worker-1" "$WORKER_CLASS 2 worker-2" \
        "$CONNECT_CLASS 1 connect"; do
        read -r class instance name <<<"$entry"
        if running "$class" "$instance"; then
            echo "$name running (pid $(cat "$(pid_file "$class" "$instance")"))"
        else
            echo "$name stopped"
        fi
    done
    ;;
*)
    echo "usage: scripts/spark_cluster.sh [start|stop|status]" >&2
    exit 2
    ;;
esac
