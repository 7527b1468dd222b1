"""Write deploy/.env for the compose file: a generated HS256 key, the database owner's and the services' role's
passwords and the Kafka SASL/SCRAM password (mode 600).

    python3 deploy/gen_env.py [--force]

Compose reads ``deploy/.env`` (beside compose.yaml) and refuses to start without these values; nothing in the
repository has a working default. An existing file is kept unless ``--force`` (which would lock the database
out of its volume's old password: change it in PostgreSQL first).
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

ENV = Path(__file__).resolve().parent / ".env"


def main(argv: list[str]) -> int:
    if ENV.exists() and "--force" not in argv:
        print(f"{ENV} exists; kept (--force to replace)", file=sys.stderr)
        return 0
    fd = os.open(ENV, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"MSA_JWT_SECRET={secrets.token_urlsafe(48)}\n")
        f.write(f"MSA_DB_PASSWORD={secrets.token_urlsafe(24)}\n")
        f.write(f"MSA_DB_APP_PASSWORD={secrets.token_urlsafe(24)}\n")
        f.write(f"MSA_KAFKA_SASL_PASSWORD={secrets.token_urlsafe(24)}\n")
        f.write("# MSA_API_BIND=0.0.0.0   # publish the API beyond this host (behind a TLS proxy)\n")
    os.chmod(ENV, 0o600)
    print(f"wrote {ENV} (mode 600)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
