# One image for web, worker and beat; the command picks the role (see docker-compose.yml, Procfile).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY requirements/ requirements/
RUN pip install -r requirements/prod.txt

COPY . .
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input

RUN useradd --create-home voicehive
USER voicehive
EXPOSE 8000
CMD ["gunicorn", "voicehive.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
