# Shared by the bench scripts (sourced, never run): the tools they need and how they start things.

# wrk drives the load (Debian package); installed when missing.
ensure_wrk() {
  if ! command -v wrk >/dev/null; then
    echo "Installing wrk..." >&2
    apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
  fi
}

# The newest PostgreSQL server binaries on the machine.
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

# A loopback port nothing listens on right now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# PostgreSQL refuses to run as root: run its tools as the postgres user then.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
