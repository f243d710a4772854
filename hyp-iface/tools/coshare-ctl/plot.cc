// SPDX-License-Identifier: MIT
// plot.cc - CSV to series, the gnuplot script, and running gnuplot.
#include "plot.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <map>

#include "errors.h"
#include "fields.h"

extern char** environ;

namespace coshare::ctl {

namespace {

double number(const std::string& cell, size_t row, std::string_view col)
{
    double v = 0;
    auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
    if (ec != std::errc{} || end != cell.data() + cell.size())
        throw Error(Exit::failure, "CSV row " + std::to_string(row + 1) +
                                       ": " + std::string(col) +
                                       " is not a number: \"" + cell + "\"");
    return v;
}

// A gnuplot single-quoted string: '' stands for one quote.
std::string quoted(const std::string& s)
{
    std::string q = "'";
    for (char c : s)
        q += c == '\'' ? std::string("''") : std::string(1, c);
    return q + "'";
}

// A file removed when it goes out of scope, unless kept.
class TempFile {
public:
    explicit TempFile(std::string pattern, int suffix = 0)
        : path_(std::move(pattern))
    {
        int fd = ::mkstemps(path_.data(), suffix);
        if (fd < 0)
            throw Error(Exit::failure, "cannot create " + path_ + ": " +
                                           describe_errno(errno));
        ::close(fd);
    }
    ~TempFile()
    {
        if (!kept_)
            ::unlink(path_.c_str());
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    const std::string& path() const { return path_; }
    void keep() { kept_ = true; }

private:
    std::string path_;
    bool kept_ = false;
};

bool is_png(const std::string& path)
{
    static constexpr std::array<unsigned char, 8> magic{0x89, 'P',  'N',  'G',
                                                         '\r', '\n', 0x1a, '\n'};
    std::array<char, 8> head{};
    std::ifstream in(path, std::ios::binary);
    if (!in.read(head.data(), head.size()))
        return false;
    for (size_t i = 0; i < magic.size(); ++i)
        if (static_cast<unsigned char>(head[i]) != magic[i])
            return false;
    return true;
}

}  // namespace

PlotData plot_data(const CsvTable& csv)
{
    const size_t ts = csv.column("timestamp"), el = csv.column("elapsed_s"),
                 dom = csv.column("domain"), saved = csv.column("saved");
    if (csv.rows.empty())
        throw Error(Exit::failure, "the CSV has no samples");
    PlotData d;
    d.start = csv.rows.front()[ts];
    Series host{"host (all domains)", {}};
    std::map<unsigned long, Series> doms;
    for (size_t i = 0; i < csv.rows.size(); ++i) {
        const auto& r = csv.rows[i];
        std::pair<double, double> p{
            number(r[el], i, "elapsed_s"),
            number(r[saved], i, "saved") * kPageBytes / (1024.0 * 1024.0)};
        if (r[dom] == "global") {
            host.points.push_back(p);
            continue;
        }
        auto id = static_cast<unsigned long>(number(r[dom], i, "domain"));
        auto& s = doms[id];
        s.title = "domain " + std::to_string(id);
        s.points.push_back(p);
    }
    d.series.push_back(std::move(host));
    for (auto& [id, s] : doms)
        d.series.push_back(std::move(s));
    return d;
}

std::string gnuplot_script(const PlotData& data, const std::string& png)
{
    std::string s;
    for (size_t i = 0; i < data.series.size(); ++i) {
        s.append("$s").append(std::to_string(i)).append(" << EOD\n");
        for (auto [x, y] : data.series[i].points) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.3f %.6f\n", x, y);
            s += buf;
        }
        s += "EOD\n";
    }
    s += "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
         "    set terminal pngcairo size 1000,600 noenhanced\n"
         "} else {\n"
         "    set terminal png size 1000,600 noenhanced\n"
         "}\n"
         "set output " + quoted(png) + "\n"
         "set title " + quoted("coshare: memory saved, from " + data.start) +
         "\n"
         "set xlabel 'seconds since the first sample'\n"
         "set ylabel 'saved (MiB)'\n"
         "set yrange [0:*]\n"
         "set grid\n"
         "set key top left\n"
         "plot ";
    for (size_t i = 0; i < data.series.size(); ++i)
        s += std::string(i ? ", \\\n     " : "") + "$s" + std::to_string(i) +
             " using 1:2 with linespoints title " +
             quoted(data.series[i].title);
    return s + "\nset output\n";
}

void render_png(const PlotData& data, const std::filesystem::path& png,
                const std::string& gnuplot)
{
    namespace fs = std::filesystem;
    // gnuplot writes next to the target, which is replaced only on success.
    fs::path dir = png.parent_path().empty() ? fs::path(".") : png.parent_path();
    TempFile out((dir / (png.filename().string() + ".XXXXXX")).string());
    TempFile script(
        (fs::temp_directory_path() / "coshare-ctl-plot-XXXXXX.gp").string(), 3);
    {
        std::ofstream f(script.path());
        f << gnuplot_script(data, out.path());
        if (!f.flush())
            throw Error(Exit::failure, "cannot write " + script.path());
    }

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    std::string prog = gnuplot, arg = script.path();
    char* argv[] = {prog.data(), arg.data(), nullptr};
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, prog.c_str(), &fa, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc == ENOENT || rc == EACCES || rc == ENOEXEC)
        throw Error(Exit::no_gnuplot,
                    "plot needs gnuplot, and \"" + gnuplot + "\" cannot be "
                    "run: " + describe_errno(rc) +
                    "; install it with: apt-get install gnuplot-nox");
    if (rc)
        throw Error(Exit::failure, "cannot run " + gnuplot + ": " +
                                       describe_errno(rc));
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            throw Error(Exit::failure, "waitpid: " + describe_errno(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error(Exit::failure,
                    "gnuplot failed (" +
                        (WIFEXITED(status)
                             ? "exit status " + std::to_string(WEXITSTATUS(status))
                             : "signal " + std::to_string(WTERMSIG(status))) +
                        ")");
    if (!is_png(out.path()))
        throw Error(Exit::failure, "gnuplot wrote no PNG to " + png.string());
    // mkstemp made it 0600; a plot gets the usual mode.
    mode_t mask = ::umask(0);
    ::umask(mask);
    ::chmod(out.path().c_str(), 0666 & ~mask);
    std::error_code ec;
    fs::rename(out.path(), png, ec);
    if (ec)
        throw Error(Exit::failure, "cannot write " + png.string() + ": " +
                                       ec.message());
    out.keep();
}

}  // namespace coshare::ctl
