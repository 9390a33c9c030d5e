#!/bin/bash
# Manual check of GPU passthrough on a GPU host (not run by the tests): builds the
# same bubblewrap sandbox as sandbox.ts (without Node) with and without the
# /dev/nvidia* device nodes and reports what works inside. Usage:
#   bash packages/runner/src/sandbox/gpu-check.sh
# Uses $AGORA_SANDBOX_BWRAP or bwrap on PATH; to use a copied bwrap binary with
# its libraries next to it, set BWRAP_LIBS to that directory.
echo "== host"; uname -r; id; cat /proc/self/cgroup; mount | grep cgroup; echo "controllers: $(cat /sys/fs/cgroup/cgroup.controllers 2>&1)"; echo "subtree: $(cat /sys/fs/cgroup/cgroup.subtree_control 2>&1)"
which node python3 nvidia-smi bwrap prlimit setpriv; node --version 2>&1; ls -la /dev/nvidia* 2>&1 | head; cat /proc/sys/user/max_user_namespaces; ls /proc/driver/nvidia 2>&1 | head -3
python3 -c 'import torch,sys; print("torch", torch.__version__, torch.__file__)' 2>&1 | tail -1
BW="env LD_LIBRARY_PATH=${BWRAP_LIBS:-} ${AGORA_SANDBOX_BWRAP:-bwrap}"
$BW --version
ARGS=(--unsetenv LD_LIBRARY_PATH --unshare-all --die-with-parent --new-session --cap-drop ALL --uid 1000 --gid 1000 --hostname agora-sandbox --ro-bind /usr /usr)
for t in bin sbin lib lib32 lib64 libx32; do if [ -L /$t ]; then ARGS+=(--symlink "$(readlink /$t)" /$t); elif [ -d /$t ]; then ARGS+=(--ro-bind /$t /$t); fi; done
ARGS+=(--proc /proc --dev /dev --tmpfs /dev/shm)
for f in ld.so.cache ld.so.conf ld.so.conf.d alternatives localtime nsswitch.conf os-release passwd group; do ARGS+=(--ro-bind-try /etc/$f /etc/$f); done
T=$(mktemp -d); mkdir -p $T/b $T/s; trap "rm -rf $T" EXIT
ARGS+=(--ro-bind $T/b /submission --bind $T/s /scratch --symlink /scratch /tmp --chdir /submission --setenv HOME /scratch)
echo "== sandbox without devices"; $BW "${ARGS[@]}" -- sh -c 'id; ls /dev; nvidia-smi -L 2>&1 | head -3'; echo rc=$?
DEV=(); for d in /dev/nvidia*; do [ -e "$d" ] && DEV+=(--dev-bind "$d" "$d"); done
echo "== sandbox with ${#DEV[@]} device args"; $BW "${DEV[@]}" "${ARGS[@]}" -- sh -c 'ls /dev; ls /proc/driver/nvidia 2>&1 | head -3; nvidia-smi -L 2>&1 | head -3'; echo rc=$?
echo "== torch in sandbox"; $BW "${DEV[@]}" "${ARGS[@]}" -- python3 -c 'import torch; x=torch.ones(1000,1000,device="cuda"); print("cuda ok", torch.cuda.get_device_name(0), float((x@x).sum()))' 2>&1 | tail -3; echo rc=$?
echo "== network in sandbox"; $BW "${ARGS[@]}" -- python3 -c 'import socket; s=socket.socket(); s.settimeout(2); print(s.connect_ex(("1.1.1.1",80)))'
echo "== cgroup v2 trial"; M=$(awk '$9=="cgroup2"{print $5; exit}' /proc/self/mountinfo)
if [ -n "$M" ]; then P=$M$(sed -n 's/^0:://p' /proc/self/cgroup); echo "own=$P controllers=$(cat $M/cgroup.controllers)"; mkdir $P/agora-sbx-test && ls $P/agora-sbx-test | tr '\n' ' '; echo; rmdir $P/agora-sbx-test 2>&1; else echo "no cgroup2 mount"; fi
