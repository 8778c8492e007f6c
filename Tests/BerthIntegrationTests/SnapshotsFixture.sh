# Builds an OCI image archive (DIR/img.tar, tag "t") whose layers hold what a root file
# system comparison must cover: deletions, an opaque directory, hard links, setuid/setgid/
# sticky modes, file capabilities and user xattrs, non-root owners, device nodes, FIFOs,
# long and non-ASCII names. Usage: SnapshotsFixture.sh DIR
set -e
cd "$1"
umoci init --layout img
umoci new --image img:t
umoci unpack --image img:t b1
R=b1/rootfs
mkdir -p $R/etc $R/d/sub $R/opq/old $R/tmp $R/home/u $R/bin $R/hl
echo root > $R/etc/passwd; echo x > $R/etc/gone; echo y > $R/d/sub/y; echo o > $R/opq/old/f
chmod 1777 $R/tmp
echo su > $R/bin/su; chmod 4755 $R/bin/su; echo sg > $R/bin/sg; chmod 2755 $R/bin/sg
echo ping > $R/bin/ping; setcap cap_net_raw+ep $R/bin/ping
echo mine > $R/home/u/f; chown -R 1000:1001 $R/home/u
echo shared > $R/hl/a; ln $R/hl/a $R/hl/b
ln -s ../etc/passwd $R/etc/link
mkfifo $R/fifo; mknod $R/null c 1 3
mkdir -p "$R/ünïcödé"; echo u > "$R/ünïcödé/日本語.txt"
echo long > "$R/$(printf 'n%.0s' $(seq 200))"
python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.note", b"v")' $R/etc/passwd
umoci repack --image img:t b1
umoci unpack --image img:t b2
R=b2/rootfs
rm $R/etc/gone; rm -rf $R/d; mkdir $R/d; echo new > $R/d/n; echo more > $R/hl/c; chmod 600 $R/etc/passwd; chown 5:6 $R/etc/passwd
umoci repack --image img:t b2
python3 - <<'PY'
import tarfile, io
t = tarfile.open("layer3.tar", "w", format=tarfile.PAX_FORMAT)
def add(name, typ=tarfile.REGTYPE, data=b"", mode=0o644):
    i = tarfile.TarInfo(name); i.type = typ; i.mode = mode; i.size = len(data) if typ == tarfile.REGTYPE else 0; i.mtime = 1700000000
    t.addfile(i, io.BytesIO(data) if typ == tarfile.REGTYPE else None)
add("opq/", tarfile.DIRTYPE, mode=0o750)
add("opq/.wh..wh..opq")
add("opq/new", data=b"n")
add("bin/.wh.sg")
t.close()
PY
umoci raw add-layer --image img:t layer3.tar
tar -C img -cf img.tar .
