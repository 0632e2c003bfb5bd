"""Celery options shared by every app's tasks."""

# A periodic task only rings or applies what the database says is due, so running
# it again after a worker dies is harmless: ack late, requeue on a lost worker.
PERIODIC_TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True}

# A task that works one claimed row (an analysis, a delivery) is safe to run again
# for the same reason. It never retries through Celery: a transient failure writes
# the next try's time on the row (apps.core.retry) and the app's sweep rings it then,
# so retries outlast provider outages and survive a broker or worker restart.
ROW_TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True}
