from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from services.api.principal import Permission, Role
from services.api.tokens import AuthError, TokenVerifier, generate_api_key, hash_api_key
from tests.unit.api.builders import SECRET, token


def test_hs256_round_trip_gives_role_and_zones() -> None:
    p = TokenVerifier(secret=SECRET).verify(token(Role.SUPERVISOR, ("alboran", "algarve"), name="bob"))
    assert (p.name, p.role, p.zones) == ("bob", Role.SUPERVISOR, frozenset({"alboran", "algarve"}))
    assert p.can(Permission.ASSIGN_ANY) and not p.can(Permission.ADMIN)


@pytest.mark.parametrize("tok", [
    token(secret="another-secret-that-is-long-enough-for-hs256"),
    token(ttl_s=10, now_s=int(time.time()) - 3600),
    "not.a.token",
    "",
])
def test_bad_tokens_are_refused(tok: str) -> None:
    with pytest.raises(AuthError):
        TokenVerifier(secret=SECRET).verify(tok)


def test_alg_none_and_unknown_role_are_refused() -> None:
    claims = {"sub": "x", "role": "officer", "exp": int(time.time()) + 60, "iss": "msa", "aud": "msa-api"}
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    with pytest.raises(AuthError):
        TokenVerifier(secret=SECRET).verify(unsigned)
    bad_role = jwt.encode({**claims, "role": "captain"}, SECRET, algorithm="HS256")
    with pytest.raises(AuthError, match="role"):
        TokenVerifier(secret=SECRET).verify(bad_role)


def test_wrong_audience_is_refused() -> None:
    claims = {"sub": "x", "role": "officer", "exp": int(time.time()) + 60, "iss": "msa", "aud": "other"}
    with pytest.raises(AuthError):
        TokenVerifier(secret=SECRET).verify(jwt.encode(claims, SECRET, algorithm="HS256"))


def test_rs256_tokens_of_an_identity_provider() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    claims = {"sub": "idp-user", "role": "officer", "zones": "alboran,strait", "exp": int(time.time()) + 60,
              "iss": "msa", "aud": "msa-api"}
    tok = jwt.encode(claims, key, algorithm="RS256")
    p = TokenVerifier(secret=None, public_key=pem).verify(tok)
    assert p.zones == frozenset({"alboran", "strait"})
    with pytest.raises(AuthError):  # an RS256 token is not accepted by an HS256-only verifier
        TokenVerifier(secret=SECRET).verify(tok)


def test_api_keys_are_random_and_hashed() -> None:
    key1, prefix1, hash1 = generate_api_key()
    key2, _, hash2 = generate_api_key()
    assert key1 != key2 and hash1 != hash2
    assert key1.startswith(prefix1) and hash_api_key(key1) == hash1 and key1 not in hash1


def test_rs256_via_jwks_url() -> None:
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid="k1", use="sig", alg="RS256")
    body = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
        claims = {"sub": "idp", "role": "supervisor", "zones": ["*"], "exp": int(time.time()) + 60,
                  "iss": "msa", "aud": "msa-api"}
        tok = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
        p = TokenVerifier(secret=None, jwks_url=url).verify(tok)
        assert p.role is Role.SUPERVISOR and p.all_zones
        forged = jwt.encode(claims, rsa.generate_private_key(public_exponent=65537, key_size=2048),
                            algorithm="RS256", headers={"kid": "k1"})
        with pytest.raises(AuthError):
            TokenVerifier(secret=None, jwks_url=url).verify(forged)
    finally:
        server.shutdown()
        server.server_close()
