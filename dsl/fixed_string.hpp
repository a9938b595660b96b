#pragma once
/*  fixed_string: a string that can be built by constexpr code and passed as a template
    argument. Shape errors are rendered into one at compile time, so g++ prints the whole
    sentence ("dense<10>: expects features ...") in the note of the failing static_assert.
    Capacity is fixed (Cap chars + NUL); text past it is cut, never an error.            */
#include <cstddef>
#include <string_view>

namespace kiln {

template <std::size_t Cap = 191>
struct fixed_string {
    char data[Cap + 1]{};  // NUL-terminated; no separate length, so g++ prints only the text

    constexpr fixed_string() = default;
    template <std::size_t N>
    constexpr fixed_string(const char (&s)[N]) {  // NOLINT: implicit from literals on purpose
        append(std::string_view{s, N - 1});
    }
    constexpr std::size_t size() const {
        std::size_t n = 0;
        while (n < Cap && data[n] != '\0') ++n;
        return n;
    }
    constexpr fixed_string& append(std::string_view s) {
        std::size_t n = size();
        for (char c : s)
            if (n < Cap) data[n++] = c;
        return *this;
    }
    template <std::size_t C>
    constexpr fixed_string& append(const fixed_string<C>& s) { return append(s.view()); }
    constexpr fixed_string& append(long long v) {
        if (v < 0) { append("-"); v = -v; }
        char digits[24]{};
        int n = 0;
        do { digits[n++] = char('0' + v % 10); v /= 10; } while (v != 0);
        while (n > 0) {
            const char c[2] = {digits[--n], '\0'};
            append(std::string_view{c, 1});
        }
        return *this;
    }
    constexpr fixed_string& append(int v) { return append(static_cast<long long>(v)); }
    constexpr std::string_view view() const { return {data, size()}; }
    constexpr const char* c_str() const { return data; }
    constexpr bool empty() const { return data[0] == '\0'; }
};

// cat("dense<", 10, ">") -> fixed_string "dense<10>"
template <class... Parts>
constexpr fixed_string<> cat(const Parts&... parts) {
    fixed_string<> s;
    (s.append(parts), ...);
    return s;
}

}  // namespace kiln
