#include "runtime/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/error.hpp"

namespace kiln {
namespace fs = std::filesystem;

namespace {
// false with errno set when a write fails; retries short writes and EINTR.
bool write_all(int fd, const void* data, std::size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t w = ::write(fd, p, size);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += w;
        size -= static_cast<std::size_t>(w);
    }
    return true;
}
}  // namespace

void write_file_atomically(const fs::path& path, std::span<const byte_range> pieces, const std::string& context,
                           const std::string& what) {
    const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw error(context + "directory '" + dir.string() + "' does not exist; create it first");
    const fs::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throw error(context + "cannot create '" + tmp.string() + "' (" + std::strerror(errno) +
                    "); check the directory's permissions");
    bool fd_open = true;
    auto abandon = [&](const char* step) {
        const int e = errno;
        if (fd_open) ::close(fd);
        ::unlink(tmp.c_str());
        return error(context + step + " failed (" + std::strerror(e) +
                     "); free disk space or choose another path - any previous " + what + " there is unchanged");
    };
    for (const byte_range& piece : pieces)
        if (piece.size > 0 && !write_all(fd, piece.data, piece.size)) throw abandon("write");
    if (::fsync(fd) != 0) throw abandon("fsync");
    fd_open = false;
    if (::close(fd) != 0) throw abandon("close");
    if (::rename(tmp.c_str(), path.c_str()) != 0) throw abandon("rename");
    // Make the rename itself durable. A failure here leaves the complete new file.
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

}  // namespace kiln
