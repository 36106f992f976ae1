#!/usr/bin/env bash
# What the class (make hub) and the grading sandbox (make grade) need on this machine,
# installed idempotently: a second run changes nothing and returns at once.
#
#   bash classroom/setup.sh                 proxy, class environment, the grader's sandbox user
#   bash classroom/setup.sh --students 3    ...and 3 trial students course-student1..3
#   bash classroom/setup.sh --students 3 --passwords FILE   ...with new random passwords,
#                                           written to FILE (mode 600) for a trial (make hub)
#
# - configurable-http-proxy (npm) into .venv/node_modules (JupyterHub's proxy; node >= 20)
# - the class environment, $COURSE_ENV (default /opt/course-env): the Python that students'
#   servers and the grading sandbox run, root-owned and readable by all (like The Littlest
#   JupyterHub's /opt/tljh/user). It holds .venv's packages (hard links: no extra disk
#   where both lie on one file system) and a copy of course_utils/, under an interpreter
#   every user may run: .venv's own interpreter often lives in root's home (pyenv), which
#   students must not enter, and neither must a submission being graded. It also holds
#   classroom/course_progress.py, through which a check shares its verdict on the hub. Students see
#   nbgrader's Assignments tab (fetch, validate, submit) but not the instructor's tools.
# - nbgrader's exchange, $COURSE_EXCHANGE (default /srv/nbgrader/exchange): where the
#   teacher releases assignments and students submit them (writable by all, as nbgrader needs)
# - course-grader: the unprivileged system user that runs submitted notebooks (no home,
#   no login, no groups)
# - course-students: the group whose members may log in to the hub; each student a system
#   user with a private home (mode 700: other students cannot read it)
# Users need root; without root only the proxy is installed and the rest is explained.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
CHP_VERSION=5.3.0
students=0 passwords=
while [ $# -gt 0 ]; do
  case $1 in
    --students) students=${2:?--students needs a number}; shift 2 ;;
    --passwords) passwords=${2:?--passwords needs a file}; shift 2 ;;
    *) echo "unknown option $1; usage: setup.sh [--students N] [--passwords FILE]" >&2; exit 2 ;;
  esac
done

chp="$VENV/node_modules/.bin/configurable-http-proxy"
if ! "$chp" --version 2>/dev/null | grep -qx "$CHP_VERSION"; then
  command -v npm >/dev/null || { echo "npm not found: JupyterHub's proxy needs Node.js >= 20" \
    "and npm (Debian/Ubuntu: apt-get install nodejs npm)." >&2; exit 1; }
  echo "Installing configurable-http-proxy $CHP_VERSION into $VENV/node_modules (npm)..."
  npm install --prefix "$VENV" --no-audit --no-fund --silent "configurable-http-proxy@$CHP_VERSION"
fi

if [ "$(id -u)" != 0 ]; then
  echo "Not root: the class environment, the grader's sandbox user and the students' system" \
       "users were not made. Run as root: sudo bash classroom/setup.sh --students 3" >&2
  exit 1
fi
getent group course-students >/dev/null || groupadd --system course-students
if ! id course-grader >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
          --user-group course-grader
fi

# --- the class environment --------------------------------------------------------------
env_dir=${COURSE_ENV:-/opt/course-env}
exchange=${COURSE_EXCHANGE:-/srv/nbgrader/exchange}
site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
version=$("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
stamp=$( { ls "$site"; find course_utils img classroom/setup.sh classroom/course_progress.py -name "*.py" -o -name "*.sh" -o -name "*.png" -o -name "*.txt" | sort | xargs md5sum; echo "$exchange"; } | md5sum | cut -c1-32)
if [ "$(cat "$env_dir/.course-stamp" 2>/dev/null)" != "$stamp" ]; then
  python=
  for candidate in "$(readlink -f "$VENV/bin/python")" "/usr/bin/python$version" \
                   "/usr/local/bin/python$version"; do
    if [ -x "$candidate" ] && runuser -u course-grader -- "$candidate" -c 'import venv' 2>/dev/null
    then python=$candidate; break; fi
  done
  if [ -z "$python" ]; then
    echo "No Python $version that every user may run (.venv's is $(readlink -f "$VENV/bin/python"))." \
         "Fix: apt-get install python$version python$version-venv, then run this again." >&2
    exit 1
  fi
  echo "Building the class environment $env_dir (Python $version: $python, packages of $VENV)..."
  new="$env_dir.new.$$"
  rm -rf "$new"
  "$python" -m venv --without-pip "$new"
  target=$("$new/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
  for part in "$site/.:$target" "$VENV/share:$new" "$VENV/etc:$new"; do
    cp -al "${part%%:*}" "${part##*:}" 2>/dev/null || cp -a "${part%%:*}" "${part##*:}"
  done
  rm -f "$target"/__editable__*course_utils*
  cp -r course_utils "$target/course_utils"
  cp -r img "$target/course_utils/img"  # where a pip install puts img/ (pyproject's package-dir)
  cp classroom/course_progress.py "$target/"  # the checks' side of the progress service
  find "$target/course_utils" -name __pycache__ -prune -exec rm -rf {} +
  cat > "$new/etc/jupyter/nbgrader_config.py" <<CONFIG
c = get_config()  # students' side of nbgrader (written by classroom/setup.sh)
c.CourseDirectory.course_id = "pytorch-nn"
c.Exchange.root = "$exchange"
CONFIG
  mkdir -p "$new/etc/jupyter/labconfig"
  echo '{"disabledExtensions": {"@jupyter/nbgrader:formgrader": true,
  "@jupyter/nbgrader:create-assignment": true, "@jupyter/nbgrader:course-list": true}}' \
    > "$new/etc/jupyter/labconfig/page_config.json"
  echo '{"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": false,
  "nbgrader.server_extensions.course_list": false}}}' \
    > "$new/etc/jupyter/jupyter_server_config.d/zz-course-students.json"
  echo "$stamp" > "$new/.course-stamp"
  chmod -R a+rX "$new"
  rm -rf "$env_dir.old"
  if [ -e "$env_dir" ]; then mv "$env_dir" "$env_dir.old"; fi
  mv "$new" "$env_dir"
  rm -rf "$env_dir.old"
fi
[ -d "$exchange" ] || install -d -m 0777 "$exchange"

if [ -n "$passwords" ]; then (umask 077; : > "$passwords"); fi
for n in $(seq 1 "$students"); do
  name=course-student$n
  id "$name" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash --groups course-students "$name"
  id -nG "$name" | grep -qw course-students || usermod --append --groups course-students "$name"
  chmod 700 "$(getent passwd "$name" | cut -d: -f6)"
  if [ -n "$passwords" ]; then
    password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
    echo "$name:$password" | chpasswd
    echo "$name $password" >> "$passwords"
  fi
done
