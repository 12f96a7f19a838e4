# One image for both code locations, and for the webserver, the daemon and every run task
# of open-source Dagster on ECS (deploy/ecs/README.md). Built by CI (.gitlab-ci.yml) from
# the pinned set in requirements.lock, without the dev extras.

FROM python:3.11.14-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /build
RUN python -m venv /opt/venv
# Dependencies first, so that a change of code alone reuses this layer.
COPY requirements.lock pyproject.toml README.md ./
COPY platform_shared/ platform_shared/
COPY fleet_platform/ fleet_platform/
COPY asset_register/ asset_register/
RUN /opt/venv/bin/pip install -c requirements.lock .

FROM python:3.11.14-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    PLATFORM_DATA_DIR=/tmp/platform_data
RUN groupadd --system --gid 10001 dagster \
    && useradd --system --uid 10001 --gid dagster --home-dir /opt/dagster --no-create-home dagster \
    && mkdir -p /opt/dagster/dagster_home /opt/dagster/app \
    && chown -R dagster:dagster /opt/dagster
COPY --from=build /opt/venv /opt/venv
COPY --chown=dagster:dagster deploy/ecs/dagster.yaml /opt/dagster/dagster_home/dagster.yaml
COPY --chown=dagster:dagster deploy/ecs/workspace.yaml /opt/dagster/app/workspace.yaml
# Executable in git (mode 755); COPY keeps the mode (kaniko and BuildKit alike).
COPY deploy/entrypoint.sh /usr/local/bin/entrypoint.sh
WORKDIR /opt/dagster/app
USER 10001:10001
EXPOSE 4000 3000
ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
CMD ["code-server", "fleet_platform.definitions"]
