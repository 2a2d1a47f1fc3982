#!/usr/bin/env bash
# Makes the self-signed certificate the HTTPS emulator uses in tests (127.0.0.1 and localhost,
# valid 100 years). Test-only: the key is public on purpose. Needs openssl.
set -euo pipefail
cd "$(dirname "$0")"
openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj "/CN=kimi-vision test emulator" \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout key.pem -out cert.pem 2>/dev/null
echo "wrote $(pwd)/cert.pem and key.pem"
