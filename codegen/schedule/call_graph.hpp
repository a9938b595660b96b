#pragma once
// Who reads whom in a pipeline, for schedules that compute a Func inside its one reader
// (codegen/schedule/gpu.hpp): Halide's own call graph of the stages, seen through the
// Funcs that are computed within their readers.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "codegen/context.hpp"

namespace kiln::codegen {

// Drops the stages that no output reads, and fusion marks onto them: a grad pipeline that
// reads its forward's values from a tape still lowers that forward (its ops also define
// what the backward reuses, batch norm's statistics), and Halide computes only what the
// outputs call. A schedule then sees the pipeline Halide builds.
inline void drop_unread(stage_list& stages, const std::vector<Func>& outputs) {
    std::set<std::string> read;
    for (const Func& o : outputs) {
        read.insert(o.name());
        for (const auto& [name, fn] : Halide::Internal::find_transitive_calls(o.function())) read.insert(name);
    }
    std::erase_if(stages, [&](const stage& s) { return !read.count(s.f.name()); });
    for (stage& s : stages)
        if (s.consumer.defined() && !read.count(s.consumer.name())) s.consumer = Func();
}

// Who reads whom in a pipeline: for every Func, the Funcs whose definitions call it, and
// whether all of one reader's calls are at the reader's own pure variables, in order (the
// same point: a copy, or an element-wise expression of it).
class call_graph {
  public:
    explicit call_graph(const stage_list& stages) {
        std::map<std::string, Halide::Internal::Function> env;
        for (const stage& s : stages) {
            env.emplace(s.f.name(), s.f.function());
            for (const auto& [name, fn] : Halide::Internal::find_transitive_calls(s.f.function())) env.emplace(name, fn);
        }
        for (const auto& [name, fn] : env) {
            names_.insert(name);
            for (const auto& [callee, g] : Halide::Internal::find_direct_calls(fn)) callees_[name].insert(callee);
            if (!fn.has_pure_definition()) continue;  // an input, or an extern stage
            reads pure(name, fn.args(), reads_);
            fn.definition().accept(&pure);
            for (const Halide::Internal::Definition& u : fn.updates()) {
                reads update(name, {}, reads_, false);
                u.accept(&update);
            }
        }
    }
    const std::set<std::string>& all() const { return names_; }

    // The one Func outside `inside` that reads f, seen through the Funcs in `inside`
    // (computed within their readers), when every read on the way is point for point; ""
    // when there are several, none, or a read elsewhere.
    std::string sole_reader(const std::string& f, const std::set<std::string>& inside) const {
        const std::set<std::string> found = readers(f, inside);
        return found.size() == 1 ? *found.begin() : std::string();
    }
    // Every Func outside `inside` that reads f, seen the same way; empty when a read on the
    // way is not point for point.
    std::set<std::string> readers(const std::string& f, const std::set<std::string>& inside) const {
        std::set<std::string> found;
        return collect(f, inside, found, 0) ? found : std::set<std::string>();
    }
    // Whether f's definitions call g, directly or through other Funcs
    bool calls(const std::string& f, const std::string& g) const {
        std::set<std::string> seen;
        return calls(f, g, seen);
    }

  private:
    using read_map = std::map<std::string, std::map<std::string, bool>>;  // callee -> reader -> same point

    class reads : public Halide::Internal::IRGraphVisitor {
      public:
        reads(std::string reader, std::vector<std::string> at, read_map& out, bool pure = true)
            : reader_(std::move(reader)), at_(std::move(at)), out_(out), pure_(pure) {}

      protected:
        using Halide::Internal::IRGraphVisitor::visit;
        void visit(const Halide::Internal::Call* op) override {
            Halide::Internal::IRGraphVisitor::visit(op);
            if (op->call_type != Halide::Internal::Call::Halide || op->name == reader_) return;
            bool same = pure_ && op->args.size() == at_.size();
            for (std::size_t i = 0; same && i < at_.size(); ++i) {
                const auto* v = op->args[i].as<Halide::Internal::Variable>();
                same = v != nullptr && v->name == at_[i];
            }
            const auto [it, fresh] = out_[op->name].emplace(reader_, same);
            if (!fresh) it->second = it->second && same;
        }

      private:
        std::string reader_;
        std::vector<std::string> at_;
        read_map& out_;
        bool pure_;
    };

    bool calls(const std::string& f, const std::string& g, std::set<std::string>& seen) const {
        const auto c = callees_.find(f);
        if (c == callees_.end() || !seen.insert(f).second) return false;
        for (const std::string& callee : c->second)
            if (callee == g || calls(callee, g, seen)) return true;
        return false;
    }

    bool collect(const std::string& f, const std::set<std::string>& inside, std::set<std::string>& found,
                 int depth) const {
        const auto r = reads_.find(f);
        if (r == reads_.end() || depth > 64) return false;
        for (const auto& [reader, same] : r->second) {
            if (!same) return false;
            if (!inside.count(reader)) found.insert(reader);
            else if (!collect(reader, inside, found, depth + 1)) return false;
        }
        return true;
    }

    std::set<std::string> names_;
    read_map reads_;
    std::map<std::string, std::set<std::string>> callees_;  // reader -> what it calls
};

// Which stage each Func is computed in, for schedules that compute an element-wise stage
// inside its one reader (the CPU and GPU policies). `inside` starts as every Func of the
// pipeline but the stages that `at_root` says are computed at root, then takes each `plain`
// stage (a root element-wise one) whose one reader, read point for point, is a plain stage
// of the same dimensions: its home.
class stage_homes {
  public:
    template <class AtRoot, class Plain>
    stage_homes(const stage_list& stages, AtRoot at_root, Plain plain) : calls_(stages), inside_(calls_.all()) {
        for (const stage& s : stages) {
            if (at_root(s)) inside_.erase(s.f.name());
            if (plain(s)) homes_.emplace(s.f.name(), s.f);
        }
        for (bool more = true; more;) {
            more = false;
            for (const stage& s : stages)
                if (plain(s) && !inside(s.f) && home_of(s.f).defined()) {
                    inside_.insert(s.f.name());
                    more = true;
                }
        }
    }
    bool inside(const Func& f) const { return inside_.count(f.name()) > 0; }
    // the Funcs outside that read f point for point (empty if one reads it otherwise)
    std::set<std::string> readers(const Func& f) const { return calls_.readers(f.name(), inside_); }
    // whether f's definitions call g, directly or not
    bool calls(const Func& f, const Func& g) const { return calls_.calls(f.name(), g.name()); }
    // f's one reader among the plain stages (seen through what is inside), or undefined
    Func home_of(const Func& f) const {
        const auto h = homes_.find(calls_.sole_reader(f.name(), inside_));
        return h == homes_.end() || h->second.dimensions() != f.dimensions() ? Func() : h->second;
    }

  private:
    call_graph calls_;
    std::set<std::string> inside_;
    std::map<std::string, Func> homes_;
};

}  // namespace kiln::codegen
