#!/bin/sh
# Entry point of the platform image: one image, every role (deploy/ecs/README.md).
#
#   code-server MODULE   serve a code location over gRPC on $PORT (default 4000)
#   webserver            the Dagster UI on $PORT (default 3000), locations from workspace.yaml
#   daemon               schedules, sensors, the run queue and run monitoring
#   check MODULE...      load the definitions of each module and exit (smoke test)
#   anything else        run as given: the run launcher starts run tasks with
#                        `dagster api execute_run …`
set -eu

usage() {
    sed -n '2,10s/^# \{0,1\}//p' "$0"
}

workspace="${DAGSTER_WORKSPACE:-/opt/dagster/app/workspace.yaml}"

case "${1:-}" in
    code-server)
        [ $# -eq 2 ] || { usage >&2; exit 2; }
        # DAGSTER_CURRENT_IMAGE (the image runs start from) and DAGSTER_CONTAINER_CONTEXT
        # (the location's ECS container context, JSON) come from the service's task.
        exec dagster code-server start --host 0.0.0.0 --port "${PORT:-4000}" \
            --module-name "$2" --location-name "${2%%.*}"
        ;;
    webserver)
        exec dagster-webserver --host 0.0.0.0 --port "${PORT:-3000}" --workspace "$workspace"
        ;;
    daemon)
        exec dagster-daemon run --workspace "$workspace"
        ;;
    check)
        shift
        [ $# -ge 1 ] || { usage >&2; exit 2; }
        for module in "$@"; do
            set -- "$@" --module-name "$module"
            shift
        done
        exec dagster definitions validate "$@"
        ;;
    -h|--help|help|"")
        usage
        ;;
    *)
        exec "$@"
        ;;
esac
