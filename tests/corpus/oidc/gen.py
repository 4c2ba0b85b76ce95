#!/usr/bin/env python3
"""Writes the ID token corpus (cases.json, jwks.json) from test-key.pk8 with the openssl
command line, an implementation independent of the verifier under test. Deterministic but
for nothing: run it again and only the signatures of equal inputs stay equal (RSA PKCS#1
v1.5 is deterministic). Usage: python3 gen.py (in this folder)."""
import base64, hashlib, hmac, json, subprocess

KEY = "test-key.pk8"
CLIENT = "atiende-test-client.apps.example"
NOW = 1_800_000_000


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def part(obj) -> str:
    return b64(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode())


def rs256(signing_input: str) -> str:
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-keyform", "DER", "-sign", KEY],
                         input=signing_input.encode(), capture_output=True, check=True).stdout
    return b64(sig)


def jwt(header, claims, sign=rs256):
    si = f"{part(header)}.{part(claims)}"
    return f"{si}.{sign(si)}"


def public_der() -> bytes:
    return subprocess.run(["openssl", "pkey", "-inform", "DER", "-in", KEY, "-pubout", "-outform", "DER"],
                          capture_output=True, check=True).stdout


def modulus_exponent():
    text = subprocess.run(["openssl", "pkey", "-inform", "DER", "-in", KEY, "-noout", "-text"],
                          capture_output=True, check=True, text=True).stdout
    lines = text.splitlines()
    i = next(k for k, l in enumerate(lines) if l.startswith("modulus:"))
    hexes = []
    for l in lines[i + 1:]:
        if not l.startswith("    "):
            break
        hexes.append(l.strip().replace(":", ""))
    n = bytes.fromhex("".join(hexes)).lstrip(b"\0")
    e_line = next(l for l in lines if l.startswith("publicExponent:"))
    e = int(e_line.split()[1]).to_bytes(3, "big").lstrip(b"\0")
    return b64(n), b64(e)


n, e = modulus_exponent()
jwks = {"keys": [
    {"kty": "EC", "kid": "ec-1", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
     "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", "use": "sig", "alg": "ES256"},
    {"kty": "RSA", "kid": "test-1", "use": "sig", "alg": "RS256", "n": n, "e": e},
]}

H = {"alg": "RS256", "kid": "test-1", "typ": "JWT"}
base = {"iss": "https://accounts.google.com", "aud": CLIENT, "sub": "110169484474386276334",
        "email": "ana.perez@example.com", "email_verified": True, "name": "Ana Pérez",
        "nonce": "n-0S6_WzA2Mj", "iat": NOW - 10, "exp": NOW + 3590}


def with_(**kw):
    c = dict(base)
    for k, v in kw.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def tampered():
    good = jwt(H, base)
    h, _, s = good.split(".")
    return f"{h}.{part(with_(sub='999'))}.{s}"


def hs256_with_public_key(si: str) -> str:
    # The algorithm-confusion attack: HMAC keyed with the public key's bytes.
    return b64(hmac.new(public_der(), si.encode(), hashlib.sha256).digest())


ok = {"sub": base["sub"], "email": base["email"], "name": base["name"]}
cases = [
    {"name": "valid", "token": jwt(H, base), "expect": ok},
    {"name": "issuer without scheme (Google's other form)",
     "token": jwt(H, with_(iss="accounts.google.com")), "expect": ok},
    {"name": "audience list with azp", "token": jwt(H, with_(aud=[CLIENT, "other"], azp=CLIENT)), "expect": ok},
    {"name": "unverified email is dropped", "token": jwt(H, with_(email_verified=False)),
     "expect": {"sub": base["sub"], "email": None, "name": base["name"]}},
    {"name": "email_verified as a string", "token": jwt(H, with_(email_verified="true")), "expect": ok},
    {"name": "no name, no email", "token": jwt(H, with_(name=None, email=None, email_verified=None)),
     "expect": {"sub": base["sub"], "email": None, "name": None}},
    {"name": "within the clock leeway", "token": jwt(H, with_(exp=NOW - 30)), "expect": ok},
    {"name": "expired", "token": jwt(H, with_(exp=NOW - 3600)), "error": "expired"},
    {"name": "issued in the future", "token": jwt(H, with_(iat=NOW + 3600)), "error": "iat"},
    {"name": "another audience", "token": jwt(H, with_(aud="someone-else")), "error": "aud"},
    {"name": "audience list, azp another", "token": jwt(H, with_(aud=[CLIENT, "other"], azp="other")),
     "error": "azp"},
    {"name": "another issuer", "token": jwt(H, with_(iss="https://evil.example")), "error": "iss"},
    {"name": "another nonce", "token": jwt(H, with_(nonce="replayed")), "error": "nonce"},
    {"name": "no nonce", "token": jwt(H, with_(nonce=None)), "error": "nonce"},
    {"name": "no subject", "token": jwt(H, with_(sub=None)), "error": "sub"},
    {"name": "alg none", "token": f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(base)}.", "error": "alg"},
    {"name": "HS256 keyed with the public key",
     "token": jwt({"alg": "HS256", "kid": "test-1", "typ": "JWT"}, base, hs256_with_public_key), "error": "alg"},
    {"name": "unknown key id", "token": jwt({"alg": "RS256", "kid": "rotated-away"}, base), "error": "kid"},
    {"name": "tampered claims", "token": tampered(), "error": "signature"},
    {"name": "two parts", "token": f"{part(H)}.{part(base)}", "error": "three"},
    {"name": "not base64url", "token": "eyJ!!!.e30.e30", "error": "base64"},
    {"name": "claims not JSON", "token": f"{part(H)}.{b64(b'not json')}.{rs256(part(H) + '.' + b64(b'not json'))}",
     "error": "JSON"},
]

with open("jwks.json", "w") as f:
    json.dump(jwks, f, indent=1)
    f.write("\n")
with open("cases.json", "w") as f:
    json.dump({"client_id": CLIENT, "issuer": "https://accounts.google.com", "nonce": base["nonce"],
               "now": NOW, "cases": cases}, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(len(cases), "cases")
