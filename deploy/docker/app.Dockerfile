# The gateway and the action server: one image, two commands (deploy/compose/compose.yml).
# Build from the project's root:  docker build -f deploy/docker/app.Dockerfile -t helpdesk-app .
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HELPDESK_VAR_DIR=/var/lib/helpdesk \
    HELPDESK_INDEX_DIR=/opt/helpdesk/var/index

WORKDIR /opt/helpdesk
# the pins first (a code change does not reinstall them); torch's CPU build comes from
# PyTorch's own index (PyPI's wheel carries the GPU libraries: gigabytes)
COPY requirements.lock pyproject.toml ./
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.lock

COPY . .
# the shipped catalogue checked and its index built into the image (releases published
# later by staff are built into the shared volume, HELPDESK_VAR_DIR)
RUN pip install --no-deps -e . \
 && helpdesk catalogue validate \
 && HELPDESK_VAR_DIR=/opt/helpdesk/var helpdesk index build \
 && useradd --system --uid 10001 --home-dir /var/lib/helpdesk helpdesk \
 && mkdir -p /var/lib/helpdesk \
 && chown helpdesk /var/lib/helpdesk
COPY deploy/docker/secret-env.sh /usr/local/bin/secret-env
USER helpdesk
EXPOSE 8000 5055
ENTRYPOINT ["secret-env"]
# the gateway; the action server is `helpdesk actions serve --host 0.0.0.0 --port 5055`
CMD ["uvicorn", "--factory", "connectors.web.app:create_app", "--host", "0.0.0.0", "--port", "8000", "--no-proxy-headers", "--timeout-graceful-shutdown", "10"]
