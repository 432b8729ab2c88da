# apt_install WHO PACKAGE…: installs the Debian packages given (the missing ones, found by the
# caller) with apt-get when run as root; otherwise says what to run. WHO prefixes the messages.
apt_install() {
  local who=$1
  shift
  if [[ $# -eq 0 ]]; then return 0; fi
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "$who: install the Debian packages $* (sudo apt-get install $*) and rerun" >&2
    return 1
  fi
  echo "$who: installing $* with apt-get…" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
