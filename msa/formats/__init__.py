"""Input formats every service reads the same way: one parser per format, one set of rules and reject reasons.

* :mod:`msa.formats.satellite`: satellite detections and scene footprints (GeoJSON), for ``msa ingest sat``,
  the HTTP upload and ``msa detect --sat``;
* :mod:`msa.formats.time_bounds`: which event times are plausible (AIS and satellite alike).

Pure: no Kafka, no sockets, no database; the wall clock is a function passed in.
"""
