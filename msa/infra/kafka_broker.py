"""Apache Kafka 4.x, KRaft combined broker+controller nodes on 127.0.0.1, from Maven Central jars.

The jars are fetched once with ``mvn dependency:copy-dependencies`` into ``$MSA_HOME/kafka-<version>/libs``
(outside the work tree); storage is formatted once; each node runs in the background with a small heap
and its pid in ``$MSA_HOME/run/kafka.pid`` (node 1) / ``kafka-<n>.pid``; logs go to ``$MSA_HOME/logs/``.

One node by default (port P, controller P+1). ``msa infra up --brokers 3`` runs three (ports P, P+2, P+4;
controllers P+1, P+3, P+5; one shared cluster id, a static quorum of the three controllers), with
replication factor 3 and ``min.insync.replicas=2`` for every topic: ``acks=all`` then survives one node lost.
A cluster keeps its data apart from the single node's (``kafka-cluster/node-<n>``).
"""

from __future__ import annotations

import base64
import logging
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from msa.infra.process import pid_alive, port_open, read_pid, start_background, stop_pid, wait_port

__all__ = ["KAFKA_VERSION", "KafkaLayout", "cluster_layouts", "kafka_down", "kafka_status", "kafka_up"]

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
node.id={node_id}
controller.quorum.voters={voters}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs={data}
num.partitions=3
default.replication.factor={rf}
min.insync.replicas={min_isr}
offsets.topic.replication.factor={rf}
offsets.topic.num.partitions=10
transaction.state.log.replication.factor={rf}
transaction.state.log.min.isr={min_isr}
share.coordinator.state.topic.replication.factor={rf}
share.coordinator.state.topic.min.isr={min_isr}
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
    node_id: int = 1
    voters: str = ""  # controller.quorum.voters; "" = this node alone
    cluster_size: int = 1
    scram: tuple[str, str] | None = None  # (user, password): clients authenticate with SASL/SCRAM-SHA-512

    @property
    def libs(self) -> Path:
        return self.home / f"kafka-{KAFKA_VERSION}" / "libs"

    @property
    def _suffix(self) -> str:
        return "" if self.node_id == 1 else f"-{self.node_id}"

    @property
    def config_dir(self) -> Path:
        if self.cluster_size > 1:
            return self.home / "kafka-cluster" / f"config-{self.node_id}"
        return self.home / "kafka-config"

    @property
    def data(self) -> Path:
        if self.cluster_size > 1:
            return self.home / "kafka-cluster" / f"node-{self.node_id}"
        return self.home / "kafka-data"

    @property
    def cluster_id_file(self) -> Path:
        return self.home / "kafka-cluster" / "cluster-id"

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / f"kafka{self._suffix}.log"

    @property
    def pid_file(self) -> Path:
        return self.home / "run" / f"kafka{self._suffix}.pid"


def cluster_layouts(home: Path, port: int, brokers: int,
                    scram: tuple[str, str] | None = None) -> list[KafkaLayout]:
    """The nodes of a local cluster: node n on port + 2(n-1), its controller on the next port."""
    voters = ",".join(f"{n}@127.0.0.1:{port + 2 * (n - 1) + 1}" for n in range(1, brokers + 1))
    return [KafkaLayout(home, port=port + 2 * (n - 1), controller_port=port + 2 * (n - 1) + 1, node_id=n,
                        voters=voters if brokers > 1 else "", cluster_size=brokers, scram=scram)
            for n in range(1, brokers + 1)]


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


_SCRAM_SAFE = re.compile(r"[A-Za-z0-9_.-]{1,200}")


def _sasl(text: str, layout: KafkaLayout) -> str:
    """The node's listener as SASL_PLAINTEXT with SCRAM-SHA-512 (brokers among themselves too)."""
    assert layout.scram is not None
    user, password = layout.scram
    if not (_SCRAM_SAFE.fullmatch(user) and _SCRAM_SAFE.fullmatch(password)):
        raise ValueError("the local broker's SASL user name and password must be [A-Za-z0-9_.-] "
                         "(deploy/gen_env.py makes such a password)")
    text = text.replace("PLAINTEXT://127.0.0.1", "SASL_PLAINTEXT://127.0.0.1")
    text = text.replace("inter.broker.listener.name=PLAINTEXT", "inter.broker.listener.name=SASL_PLAINTEXT")
    text = text.replace("listener.security.protocol.map=PLAINTEXT:PLAINTEXT,",
                        "listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,")
    return text + (
        "sasl.enabled.mechanisms=SCRAM-SHA-512\n"
        "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512\n"
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config="
        f'org.apache.kafka.common.security.scram.ScramLoginModule required username="{user}" '
        f'password="{password}";\n')


def _write_config(layout: KafkaLayout) -> Path:
    layout.config_dir.mkdir(parents=True, exist_ok=True)
    (layout.config_dir / "log4j2.properties").write_text(_LOG4J)
    server = layout.config_dir / "server.properties"
    from msa.kafka import replication_for

    rf, min_isr = replication_for(layout.cluster_size)
    voters = layout.voters or f"{layout.node_id}@127.0.0.1:{layout.controller_port}"
    text = _SERVER.format(port=layout.port, controller_port=layout.controller_port, data=layout.data,
                          node_id=layout.node_id, voters=voters, rf=rf, min_isr=min_isr)
    if layout.scram is not None:
        text = _sasl(text, layout)
    server.touch(mode=0o600)
    server.chmod(0o600)  # it may hold the SCRAM password
    server.write_text(text)
    return server


def _format_storage(layout: KafkaLayout, server: Path) -> None:
    if (layout.data / "meta.properties").exists():
        return
    layout.data.mkdir(parents=True, exist_ok=True)
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if layout.cluster_size > 1:  # one id for every node of the cluster
        idf = layout.cluster_id_file
        if not idf.exists():
            idf.parent.mkdir(parents=True, exist_ok=True)
            idf.write_text(cluster_id)
        cluster_id = idf.read_text().strip()
    subprocess.run([_java(), "-cp", _classpath(layout),
                    f"-Dlog4j2.configurationFile={layout.config_dir / 'log4j2.properties'}",
                    "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(server),
                    *(["--add-scram", f"SCRAM-SHA-512=[name={layout.scram[0]},password={layout.scram[1]}]"]
                      if layout.scram is not None else [])],
                   check=True, stdout=subprocess.DEVNULL)


def _start(layout: KafkaLayout) -> int:
    server = _write_config(layout)
    _format_storage(layout, server)
    cmd = [_java(), HEAP, "-Xms256m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true",
           f"-Dlog4j2.configurationFile={layout.config_dir / 'log4j2.properties'}",
           "-cp", _classpath(layout), "kafka.Kafka", str(server)]
    return start_background(cmd, layout.log_file, layout.pid_file)


def kafka_up(layout: KafkaLayout, timeout_s: float = 120.0, brokers: int = 1) -> str:
    """Start the node (``brokers`` > 1: every node of a local cluster on ``layout.port`` on); idempotent."""
    nodes = cluster_layouts(layout.home, layout.port, brokers, layout.scram) if brokers > 1 else [layout]
    pid = read_pid(layout.pid_file)
    if all(pid_alive(read_pid(n.pid_file)) and port_open("127.0.0.1", n.port) for n in nodes):
        return f"kafka already running (pid {pid}) on 127.0.0.1:{layout.port}" + (
            f" ({brokers} brokers)" if brokers > 1 else "")
    if brokers == 1 and port_open("127.0.0.1", layout.port):
        return f"something already listens on 127.0.0.1:{layout.port}; using it as the broker"
    mode_file = layout.home / "run" / "kafka.mode"
    running_mode = mode_file.read_text().strip() if mode_file.exists() and pid_alive(pid) else str(brokers)
    if running_mode != str(brokers):
        raise RuntimeError(f"a Kafka of {running_mode} node(s) runs from {layout.home}; stop it first "
                           f"(msa infra down) to start {brokers}")
    fetch_jars(layout)
    mode_file.parent.mkdir(parents=True, exist_ok=True)
    mode_file.write_text(str(brokers))
    started: list[tuple[KafkaLayout, int]] = []
    for node in nodes:  # the controllers need each other: start every node, then wait for them
        npid = read_pid(node.pid_file)
        if pid_alive(npid) and port_open("127.0.0.1", node.port):
            continue
        started.append((node, _start(node)))
    for node, npid in started:
        if not wait_port("127.0.0.1", node.port, timeout_s, npid):
            raise RuntimeError(f"Kafka node {node.node_id} did not become ready in {timeout_s:.0f} s; "
                               f"see {node.log_file}")
    ports = ", ".join(str(n.port) for n in nodes)
    return (f"kafka started ({len(started)} of {len(nodes)} node(s)) on 127.0.0.1:{ports}; logs "
            f"{layout.home / 'logs'}")


def kafka_down(layout: KafkaLayout) -> str:
    """Stop every node ``kafka_up`` started (the single node and any cluster nodes), by pid."""
    stopped = [p.stem for p in sorted((layout.home / "run").glob("kafka*.pid")) if stop_pid(p)]
    return f"kafka stopped ({', '.join(stopped)})" if stopped else "kafka was not running (started by us)"


def kafka_status(layout: KafkaLayout) -> str:
    pid = read_pid(layout.pid_file)
    up = port_open("127.0.0.1", layout.port)
    owner = f"pid {pid}" if pid_alive(pid) else "not started by msa"
    return f"kafka: {'up' if up else 'down'} on 127.0.0.1:{layout.port} ({owner}); log {layout.log_file}"
