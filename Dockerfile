# Badge Platform production image: gunicorn serving badgeplatform.wsgi on port 8000.
# The same image runs the Celery worker and beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # The source tree in /app (with templates/ and static/) wins over the installed copy.
    PYTHONPATH=/app \
    VAR_DIR=/app/var \
    MEDIA_ROOT=/app/var/media

# cairo is needed by cairosvg to render SVG badge images.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libcairo2 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Exactly the locked versions, each checked against its hash (requirements/prod.txt, `make lock`);
# then the project itself, with no further resolution.
COPY requirements/prod.txt requirements/prod.txt
RUN pip install --require-hashes --no-deps -r requirements/prod.txt
COPY . .
RUN pip install --no-deps --no-build-isolation .

# collectstatic imports the settings, which refuse unsafe values when DEBUG is off. These
# throw-away build-time values satisfy that check; none of them ends up in the image's environment.
RUN SECRET_KEY=build-only-dummy-secret-key-for-static00 \
    KEY_ENCRYPTION_KEYS="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
    ALLOWED_HOSTS=build \
    ALLOW_LOCAL_DEPLOYMENT=true \
    DEBUG=false \
    python manage.py collectstatic --noinput

RUN useradd --system --create-home --uid 10001 --user-group badges \
    && mkdir -p /app/var/media /app/var/mail /app/var/beat /app/var/metrics \
    && chown -R badges:badges /app/var
USER badges

EXPOSE 8000
# Threads: a web process keeps answering while some of its threads wait on other sites for the verifier
# (VERIFY_MAX_CONCURRENT of them at most, each for at most VERIFY_TOTAL_SECONDS).
CMD ["gunicorn", "badgeplatform.wsgi", "--bind", "0.0.0.0:8000", "--threads", "8"]
