# Rasa Open Source 3.6.21 with the project's channel, tracker store and NLU components, and
# the model trained into the image (the same recipe as .venv-rasa: see the Makefile).
# Build from the project's root:  docker build -f deploy/docker/rasa.Dockerfile -t helpdesk-rasa .
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=2 \
    COMPRESS_ACTION_SERVER_REQUEST=false \
    PYTHONPATH=/opt/helpdesk

WORKDIR /opt/helpdesk
COPY bot/requirements-rasa.txt bot/requirements-rasa.txt
RUN pip install --no-deps --ignore-requires-python rasa==3.6.21 rasa-sdk==3.6.2 \
 && pip install --no-deps -r bot/requirements-rasa.txt

# what the model and the server read: the bot, its config, the text folding it shares
COPY config.yml ./
COPY knowledge/__init__.py knowledge/normalize.py knowledge/
COPY bot bot
RUN rasa train --config config.yml --domain bot/domain.yml --data bot/data \
      --out models --fixed-model-name helpdesk \
 && useradd --system --uid 10001 rasa
COPY deploy/docker/rasa-entrypoint.sh /usr/local/bin/rasa-entrypoint
USER rasa
EXPOSE 5005
ENTRYPOINT ["rasa-entrypoint"]
CMD ["python", "-m", "bot.server", "run", "--model", "models/helpdesk.tar.gz", \
     "--endpoints", "/etc/helpdesk/endpoints.yml", "--credentials", "bot/credentials.yml", \
     "--interface", "0.0.0.0", "--port", "5005"]
