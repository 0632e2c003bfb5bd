"""Celery options shared by every app's periodic tasks."""

# A periodic task only rings or applies what the database says is due, so running
# it again after a worker dies is harmless: ack late, requeue on a lost worker.
PERIODIC_TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True}
