"""Local infrastructure without Docker: Apache Kafka (KRaft) from Maven Central jars, PostgreSQL + PostGIS."""
