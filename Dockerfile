# One image for the three services; docker-compose.yml picks the service with its command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 HOST=0.0.0.0
WORKDIR /app

COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
COPY contracts ./contracts
COPY scripts ./scripts
RUN pip install . && useradd --system --uid 10001 --home /app liquidator && mkdir -p /app/data && chown liquidator /app/data

USER liquidator
VOLUME ["/app/data"]
CMD ["python", "-m", "services.price_service"]
