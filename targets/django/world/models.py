"""The TechEmpower tables, created and filled by the harness (docker/postgres/init.sql): Django
reads and writes them but does not manage them (no migrations). The names are PostgreSQL's
unquoted, lower-case ones; the contract's `randomNumber` is only the JSON key."""

from django.db import models


class World(models.Model):
    id = models.IntegerField(primary_key=True)
    randomnumber = models.IntegerField()

    class Meta:
        managed = False
        db_table = "world"


class Fortune(models.Model):
    id = models.IntegerField(primary_key=True)
    message = models.CharField(max_length=2048)

    class Meta:
        managed = False
        db_table = "fortune"
