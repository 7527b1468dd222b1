"""AIS decoding, NMEA/CSV → :mod:`msa.domain` records: the one decoder of ``msa ingest``, ``msa replay``,
``msa decode`` and ``msa detect``.

Pure: no Kafka, no sockets; the wall clock that bounds future times is a function passed in.

* :mod:`msa.ais.nmea`: NMEA 0183 lines, tag blocks, checksums, ``$PGHP`` wrappers;
* :mod:`msa.ais.reassembly`: multi-sentence messages; :mod:`msa.ais.dedup`: multi-receiver duplicates;
* :mod:`msa.ais.normalise`: decoded message → records; :mod:`msa.ais.fastpath`, :mod:`msa.ais.fastline`:
  the same for the hot position reports, without pyais;
* :mod:`msa.ais.decoder`: the pipeline, line → records + rejects + counters;
* :mod:`msa.ais.csv_formats`: DMA and NOAA CSV exports.
"""
