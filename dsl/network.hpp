#pragma once
/*  network<Out>: everything kiln knows about a declared network at compile time.
    WHAT IT REPRESENTS  the DAG that ends in node type Out, in topological order (each node
                        once, inputs before users), with:
      node_table    per node: kind, per-kind ordinal, name ("dense2"), shape, input indices
      params        the parameter table - the single source of truth for the runtime arena,
                    checkpoint names, optimizer state and the generator's inputs:
                    (node, name "dense2.W", spec (shape, init, fans), offset into the arena)
      inputs        the input nodes' shapes, by input index
      output, loss  the last node; whether it is a loss and which
    USE   using net = kiln::network_of<planar_classifier>;  net::param_size, net::params ... */
#include <cstdlib>
#include <string>
#include <type_traits>
#include <vector>

#include <boost/hana.hpp>

#include "dsl/graph.hpp"
#include "dsl/layers/losses.hpp"

namespace kiln {

namespace hana = boost::hana;

// ---------------------------------------------------------------- topological order
// Plain type lists and fold expressions, not hana's tuples: the order is built one node at a
// time, and hana's per-element machinery on lists of ~200 deeply nested node types took
// ResNet-50's declaration past 24 GiB of compiler memory. These cost one instantiation per
// step. hana::tuple_t of the final order is what the rest of kiln iterates over.
template <class... Ts> struct type_list {};

template <class T, class... Ts>
constexpr bool listed(type_list<Ts...>) { return (std::is_same_v<T, Ts> || ...); }

// Depth-first, a node after its children. A node already placed is not entered again: a
// residual's input is reached twice, and re-walking its ancestry each time would make the
// work grow as 2^(residual blocks).
template <class Order, class T> struct visit;
template <class Order, class... Cs> struct visit_all { using type = Order; };
template <class Order, class C, class... Cs> struct visit_all<Order, C, Cs...> {
    using type = typename visit_all<typename visit<Order, C>::type, Cs...>::type;
};
template <class Order, class T> struct visit_children;
template <class... Ts, int K, shape S> struct visit_children<type_list<Ts...>, input_node<K, S>> {
    using type = type_list<Ts...>;
};
template <class Order, class L, class X, int P> struct visit_children<Order, layer_node<L, X, P>> {
    using type = typename visit<Order, X>::type;
};
template <class Order, merge_op Op, class A, class B> struct visit_children<Order, merge_node<Op, A, B>> {
    using type = typename visit_all<Order, A, B>::type;
};
template <class List, class T> struct append_type;
template <class... Ts, class T> struct append_type<type_list<Ts...>, T> { using type = type_list<Ts..., T>; };
template <class Order, class T> struct visit {
    using type = typename std::conditional_t<listed<T>(Order{}), std::type_identity<Order>,
                                             append_type<typename visit_children<Order, T>::type, T>>::type;
};

template <class... Ts>
constexpr auto as_hana_tuple(type_list<Ts...>) { return hana::tuple_t<Ts...>; }
// The index of N in the list, -1 when absent.
template <class N, class... Ts>
constexpr int index_in(type_list<Ts...>) {
    constexpr bool hit[] = {std::is_same_v<N, Ts>..., false};
    for (std::size_t i = 0; i < sizeof...(Ts); ++i)
        if (hit[i]) return static_cast<int>(i);
    return -1;
}

template <class Out>
using topological_list = typename visit<type_list<>, Out>::type;
template <class Out>
constexpr auto topological_order() { return as_hana_tuple(topological_list<Out>{}); }

// ---------------------------------------------------------------- tables
struct node_info {
    enum class role { input, layer, merge } what = role::layer;
    const char* kind = "";
    int ordinal = 0;            // 1-based among nodes of the same kind: dense1, dense2 ...
    fixed_string<47> name{};
    shape out{};
    int from[2] = {-1, -1};     // indices of the input nodes in topological order
    int input_index = -1;       // for role::input: which network input
};

struct param_entry {
    int node = -1;
    fixed_string<63> name{};    // "<node>.<role>": "dense2.W"
    param_spec spec{};
    std::size_t offset = 0;     // in elements, into the flat parameter arena
};

template <class N> struct node_traits;
template <int K, shape S> struct node_traits<input_node<K, S>> {
    static constexpr node_info::role what = node_info::role::input;
    static constexpr const char* kind = "input";
    static constexpr std::size_t param_tensors = 0;
};
template <class L, class X, int P> struct node_traits<layer_node<L, X, P>> {
    static constexpr node_info::role what = node_info::role::layer;
    static constexpr const char* kind = L::kind;
    static constexpr std::size_t param_tensors = L::params(X::out).size();
};
template <merge_op Op, class A, class B> struct node_traits<merge_node<Op, A, B>> {
    static constexpr node_info::role what = node_info::role::merge;
    static constexpr const char* kind = merge_name(Op);
    static constexpr std::size_t param_tensors = 0;
};

// "dense1.W" -> "dense1_W": a parameter's name as a C identifier, the form the compiled
// pipelines use for their arguments (Halide names may not contain dots).
inline std::string argument_name(const param_entry& e) {
    std::string s(e.name.view());
    for (char& c : s)
        if (c == '.') c = '_';
    return s;
}

constexpr bool same_cstr(const char* a, const char* b) {
    while (*a && *a == *b) { ++a; ++b; }
    return *a == *b;
}

// What a node's backward reads of its forward (codegen/ops/): its input's value, its own
// value. A kind not listed reads both (recurrent layers, losses); that only costs memory
// where it is wrong (network::tape_nodes).
constexpr bool backward_reads_input(const char* kind) {
    for (const char* k : {"relu", "relu6", "leaky_relu", "sigmoid", "tanh", "softmax", "add", "concat", "zero_pad2d",
                          "global_avg_pool", "avg_pool2d", "flatten", "dropout", "slice", "reverse_steps"})
        if (same_cstr(kind, k)) return false;
    return true;
}
constexpr bool backward_reads_output(const char* kind) {
    for (const char* k : {"conv2d", "depthwise_conv2d", "dense", "batch_norm", "embedding", "add", "mul", "concat",
                          "zero_pad2d", "global_avg_pool", "avg_pool2d", "flatten", "dropout", "slice",
                          "reverse_steps"})
        if (same_cstr(kind, k)) return false;
    return true;
}

template <class Out>
struct network {
    using output_node = Out;
    static constexpr auto nodes = topological_order<Out>();
    static constexpr std::size_t node_count = decltype(hana::length(nodes))::value;

    template <class N>
    static constexpr int index_of() { return index_in<N>(topological_list<Out>{}); }

  private:
    template <class N>
    static constexpr void fill_from(node_info& info) {
        if constexpr (requires { typename N::from; }) info.from[0] = index_of<typename N::from>();
        if constexpr (requires { typename N::lhs; }) {
            info.from[0] = index_of<typename N::lhs>();
            info.from[1] = index_of<typename N::rhs>();
        }
        if constexpr (requires { N::index; }) info.input_index = N::index;
    }

    static constexpr std::array<node_info, node_count> make_node_table() {
        std::array<node_info, node_count> table{};
        std::size_t i = 0;
        hana::for_each(nodes, [&](auto t) {
            using N = typename decltype(t)::type;
            node_info& info = table[i];
            info.what = node_traits<N>::what;
            info.kind = node_traits<N>::kind;
            info.out = N::out;
            for (std::size_t j = 0; j < i; ++j)
                if (same_cstr(table[j].kind, info.kind)) info.ordinal = table[j].ordinal;
            info.ordinal += 1;
            info.name = {};
            info.name.append(info.kind).append(info.ordinal);
            fill_from<N>(info);
            ++i;
        });
        return table;
    }

  public:
    static constexpr std::array<node_info, node_count> node_table = make_node_table();

    static constexpr std::size_t param_tensor_count = hana::fold_left(
        nodes, std::size_t{0},
        [](std::size_t n, auto t) { return n + node_traits<typename decltype(t)::type>::param_tensors; });

  private:
    // Table order is topological; arena offsets put the frozen parameters first, so that
    // the trainable ones (and their gradients) are one contiguous tail of the arena.
    static constexpr std::array<param_entry, param_tensor_count> make_params() {
        std::array<param_entry, param_tensor_count> table{};
        std::size_t i = 0;
        int node = 0;
        hana::for_each(nodes, [&](auto t) {
            using N = typename decltype(t)::type;
            if constexpr (node_traits<N>::param_tensors > 0) {
                for (const param_spec& spec : N::layer_type::params(N::from::out)) {
                    param_entry& e = table[i++];
                    e.node = node;
                    e.spec = spec;
                    e.name.append(node_table[static_cast<std::size_t>(node)].name).append(".").append(spec.role);
                }
            }
            ++node;
        });
        std::size_t offset = 0;
        for (bool frozen : {true, false})
            for (param_entry& e : table)
                if (e.spec.frozen == frozen) {
                    e.offset = offset;
                    offset += e.spec.size();
                }
        return table;
    }

    static constexpr std::size_t count_inputs() {
        std::size_t n = 0;
        for (const node_info& info : node_table) n += info.what == node_info::role::input;
        return n;
    }

  public:
    static constexpr std::array<param_entry, param_tensor_count> params = make_params();
    static constexpr std::size_t param_size = [] {
        std::size_t n = 0;
        for (const param_entry& e : params) n += e.spec.size();
        return n;
    }();

    // Frozen parameters (dsl/frozen.hpp) fill the arena's first frozen_size elements; the
    // gradient arena covers the rest: parameter e's gradient is at e.offset - frozen_size.
    static constexpr std::size_t frozen_size = [] {
        std::size_t n = 0;
        for (const param_entry& e : params) n += e.spec.frozen ? e.spec.size() : 0;
        return n;
    }();
    static constexpr std::size_t grad_size = param_size - frozen_size;

    static constexpr std::size_t input_count = count_inputs();
    static constexpr std::array<shape, input_count> input_shapes = [] {
        std::array<shape, input_count> s{};
        for (const node_info& info : node_table)
            if (info.what == node_info::role::input) s[static_cast<std::size_t>(info.input_index)] = info.out;
        return s;
    }();
    static_assert(input_count > 0, "kiln: a network needs at least one input(...)");
    static_assert([] {
        std::array<int, input_count> seen{};
        for (const node_info& info : node_table)
            if (info.what == node_info::role::input) {
                if (info.input_index >= static_cast<int>(input_count)) return false;
                seen[static_cast<std::size_t>(info.input_index)] += 1;
            }
        for (int s : seen) if (s != 1) return false;
        return true;
    }(), "kiln: network inputs must be numbered 0, 1, ... without gaps or repeats: input<K>(...)");

    static constexpr shape output_shape = Out::out;

    // Positions where the network can be cut into pipelines run one after the other: after
    // node i when node i's value is the only one that any later node reads.
    static constexpr std::array<bool, node_count> cut_after = [] {
        std::array<bool, node_count> ok{};
        for (std::size_t i = 0; i + 1 < node_count; ++i) {
            bool single = node_table[i].what != node_info::role::input;
            for (std::size_t k = i + 1; k < node_count && single; ++k)
                for (int from : node_table[k].from)
                    if (from >= 0 && from < static_cast<int>(i)) single = false;
            ok[i] = single;
        }
        return ok;
    }();

    // The node ranges of `count` consecutive pipelines (segments) of about equal node counts:
    // segment s is nodes [b[s], b[s + 1]); for s > 0 its input is node b[s] - 1's value. Cuts
    // avoid the value between a layer and the batch norm that could fold into it. Fewer
    // segments than asked come back when the graph has too few cut points.
    static std::vector<int> segment_bounds(int count) {
        std::vector<int> b{0};
        const int n = static_cast<int>(node_count);
        auto good = [&](int i) {
            if (!cut_after[static_cast<std::size_t>(i)]) return false;
            return !same_cstr(node_table[static_cast<std::size_t>(i + 1)].kind, "batch_norm");
        };
        for (int s = 1; s < count; ++s) {
            const int target = s * n / count - 1;
            int best = -1;
            for (int i = b.back(); i < n - 1; ++i)
                if (good(i) && (best < 0 || std::abs(i - target) < std::abs(best - target))) best = i;
            if (best >= 0 && best + 1 > b.back()) b.push_back(best + 1);
        }
        b.push_back(n);
        return b;
    }

    // The values a training step keeps from segment [begin, end)'s forward for its backward
    // (its tape), so that the segment's grad pipeline reads them instead of recomputing the
    // forward: each node whose value a backward reads (its reader's, for a weight gradient,
    // batch norm's statistics, max pool's argmax; its own, for an activation), where a
    // gradient flows (a trainable parameter at or before the reader). Never a network input.
    // The last, end - 1, is the segment's output: the next one's input, kept already.
    static std::vector<int> tape_nodes(int begin, int end) {
        std::array<bool, node_count> flows{};  // a trainable parameter at or before the node
        for (const param_entry& e : params)
            if (!e.spec.frozen) flows[static_cast<std::size_t>(e.node)] = true;
        for (std::size_t i = 0; i < node_count; ++i)
            for (int from : node_table[i].from)
                if (from >= 0 && flows[static_cast<std::size_t>(from)]) flows[i] = true;
        std::vector<int> tape;
        for (int j = begin; j < end; ++j) {
            const node_info& n = node_table[static_cast<std::size_t>(j)];
            if (n.what == node_info::role::input) continue;
            bool read = flows[static_cast<std::size_t>(j)] && backward_reads_output(n.kind);
            for (int k = j + 1; k < end && !read; ++k) {
                const node_info& r = node_table[static_cast<std::size_t>(k)];
                if ((r.from[0] == j || r.from[1] == j) && flows[static_cast<std::size_t>(k)])
                    read = backward_reads_input(r.kind);
            }
            if (read) tape.push_back(j);
        }
        return tape;
    }

    // The batch norms of segment [begin, end) whose statistics (each channel's batch mean
    // and variance) its train_forward keeps with the tape for its grad pipeline: every one
    // that is not frozen (a frozen one computes its inference form from running averages).
    static std::vector<int> tape_stats(int begin, int end) {
        std::vector<int> stats;
        for (int j = begin; j < end; ++j)
            if (same_cstr(node_table[static_cast<std::size_t>(j)].kind, "batch_norm"))
                for (const param_entry& e : params)
                    if (e.node == j && !e.spec.frozen) {
                        stats.push_back(j);
                        break;
                    }
        return stats;
    }

    static constexpr bool has_loss = [] {
        if constexpr (requires { typename Out::layer_type; }) return is_loss_layer<typename Out::layer_type>();
        else return false;
    }();
    static constexpr loss_kind loss = [] {
        if constexpr (has_loss) return Out::layer_type::which;
        else return loss_kind::mse;
    }();
    // The node whose value `predict` returns: the loss's fused activation of its input.
    static constexpr int output_index = static_cast<int>(node_count) - 1;
};

// network_of<planar_classifier>, from the declared constexpr variable.
template <const auto& Net>
using network_of = network<std::remove_cvref_t<decltype(Net)>>;

}  // namespace kiln
