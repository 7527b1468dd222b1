"""Apache Kafka 4.x, KRaft combined broker+controller, one node on 127.0.0.1, from Maven Central jars.

The jars are fetched once with ``mvn dependency:copy-dependencies`` into ``$MSA_HOME/kafka-<version>/libs``
(outside the work tree); storage is formatted once; the broker runs in the background with a small heap
and its pid in ``$MSA_HOME/run/kafka.pid``; logs go to ``$MSA_HOME/logs/kafka.log``.
"""

from __future__ import annotations

import base64
import logging
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from msa.infra.process import pid_alive, port_open, read_pid, start_background, stop_pid, wait_port

__all__ = ["KAFKA_VERSION", "KafkaLayout", "kafka_down", "kafka_status", "kafka_up"]

log = logging.getLogger(__name__)

KAFKA_VERSION = "4.1.1"
LOG4J_VERSION = "2.24.3"
HEAP = "-Xmx768m"

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.msa</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId>
      <version>{kafka}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId>
      <version>{log4j}</version></dependency>
  </dependencies>
</project>
"""

_LOG4J = """status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = out
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
"""

_SERVER = """process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller_port}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs={data}
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=168
log.segment.bytes=67108864
num.network.threads=2
num.io.threads=4
"""


@dataclass(frozen=True, slots=True)
class KafkaLayout:
    home: Path
    port: int = 9092
    controller_port: int = 9093

    @property
    def libs(self) -> Path:
        return self.home / f"kafka-{KAFKA_VERSION}" / "libs"

    @property
    def config_dir(self) -> Path:
        return self.home / "kafka-config"

    @property
    def data(self) -> Path:
        return self.home / "kafka-data"

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / "kafka.log"

    @property
    def pid_file(self) -> Path:
        return self.home / "run" / "kafka.pid"


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("java not found: install a JDK 17 (apt-get install openjdk-17-jre-headless)")
    return java


def fetch_jars(layout: KafkaLayout) -> None:
    """Download the broker's jars from Maven Central once (idempotent)."""
    marker = layout.libs / ".complete"
    if marker.exists():
        return
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("mvn not found: install Maven (apt-get install maven)")
    work = layout.libs.parent
    work.mkdir(parents=True, exist_ok=True)
    (work / "pom.xml").write_text(_POM.format(kafka=KAFKA_VERSION, log4j=LOG4J_VERSION))
    log.info("fetching Kafka %s jars from Maven Central into %s", KAFKA_VERSION, layout.libs)
    subprocess.run([mvn, "-q", "-B", "-Dstyle.color=never", "dependency:copy-dependencies",
                    f"-DoutputDirectory={layout.libs}"],
                   cwd=work, check=True)
    marker.write_text(KAFKA_VERSION)


def _classpath(layout: KafkaLayout) -> str:
    return f"{layout.libs}/*"


def _write_config(layout: KafkaLayout) -> Path:
    layout.config_dir.mkdir(parents=True, exist_ok=True)
    (layout.config_dir / "log4j2.properties").write_text(_LOG4J)
    server = layout.config_dir / "server.properties"
    server.write_text(_SERVER.format(port=layout.port, controller_port=layout.controller_port, data=layout.data))
    return server


def _format_storage(layout: KafkaLayout, server: Path) -> None:
    if (layout.data / "meta.properties").exists():
        return
    layout.data.mkdir(parents=True, exist_ok=True)
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    subprocess.run([_java(), "-cp", _classpath(layout),
                    f"-Dlog4j2.configurationFile={layout.config_dir / 'log4j2.properties'}",
                    "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(server)],
                   check=True, stdout=subprocess.DEVNULL)


def kafka_up(layout: KafkaLayout, timeout_s: float = 120.0) -> str:
    pid = read_pid(layout.pid_file)
    if pid_alive(pid) and port_open("127.0.0.1", layout.port):
        return f"kafka already running (pid {pid}) on 127.0.0.1:{layout.port}"
    if port_open("127.0.0.1", layout.port):
        return f"something already listens on 127.0.0.1:{layout.port}; using it as the broker"
    fetch_jars(layout)
    server = _write_config(layout)
    _format_storage(layout, server)
    cmd = [_java(), HEAP, "-Xms256m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true",
           f"-Dlog4j2.configurationFile={layout.config_dir / 'log4j2.properties'}",
           "-cp", _classpath(layout), "kafka.Kafka", str(server)]
    pid = start_background(cmd, layout.log_file, layout.pid_file)
    if not wait_port("127.0.0.1", layout.port, timeout_s, pid):
        raise RuntimeError(f"Kafka did not become ready in {timeout_s:.0f} s; see {layout.log_file}")
    return f"kafka started (pid {pid}) on 127.0.0.1:{layout.port}; log {layout.log_file}"


def kafka_down(layout: KafkaLayout) -> str:
    return "kafka stopped" if stop_pid(layout.pid_file) else "kafka was not running (started by us)"


def kafka_status(layout: KafkaLayout) -> str:
    pid = read_pid(layout.pid_file)
    up = port_open("127.0.0.1", layout.port)
    owner = f"pid {pid}" if pid_alive(pid) else "not started by msa"
    return f"kafka: {'up' if up else 'down'} on 127.0.0.1:{layout.port} ({owner}); log {layout.log_file}"
