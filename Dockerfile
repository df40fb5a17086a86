# The ACS in a container: `docker build -t acs .`, then see compose.yaml.
# Configuration is the environment only (docs/configuration.md); nothing secret is baked in.

# Build: the wheel of acs and of every dependency.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY acs ./acs
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# Run: a virtual environment with those wheels only, as an unprivileged user.
FROM python:3.11-slim
ENV PATH=/opt/acs/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ACS_DATA_DIR=/var/lib/acs/data
COPY --from=build /wheels /wheels
RUN python -m venv /opt/acs/venv \
    && /opt/acs/venv/bin/pip install --no-cache-dir --no-index --find-links /wheels acs \
    && rm -rf /wheels \
    && groupadd --system --gid 10001 acs \
    && useradd --system --uid 10001 --gid acs --home-dir /var/lib/acs --create-home \
        --shell /usr/sbin/nologin acs
USER 10001:10001
WORKDIR /var/lib/acs
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request as r; r.urlopen('http://127.0.0.1:8080/health', timeout=4)"]
# `acs serve` applies pending migrations before it serves.
ENTRYPOINT ["acs"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080", "--workers", "2"]
