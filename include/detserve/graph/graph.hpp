#pragma once
// The one in-memory model: nodes named by OpenVINO opset op types, attributes as the IR's <data>
// strings with typed accessors, ports with element type and shape, constants holding their bytes.
// Readers produce it, passes transform it, writers and engines consume it.
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "detserve/graph/element_type.hpp"

namespace detserve::graph {

// Thrown for malformed models; the message names the file and the layer.
class ModelError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// -1 marks a dynamic dimension (IR writes it as "-1" or "?").
using Shape = std::vector<std::int64_t>;
std::string shape_to_string(const Shape& shape);  // "[1,3,416,416]"
std::int64_t shape_elements(const Shape& shape);  // -1 if any dimension is dynamic

// Where a node input takes its value from: output `port` (0-based index) of node `node`.
struct Source {
    std::int64_t node = -1;
    int port = 0;
    bool operator==(const Source&) const = default;
};

struct Port {
    ElementType type = ElementType::f32;
    Shape shape;
    std::string names;   // the IR's tensor names (comma-separated), outputs only
    std::string layout;  // the layout the IR's port rt_info declares ("[N,H,W,C]"), or empty
    bool operator==(const Port&) const = default;
};

struct Input {
    Source source;
    Port port;
    bool operator==(const Input&) const = default;
};

// Attributes keep the order they were read or set in, so that writing is deterministic.
class Attributes {
public:
    bool has(const std::string& key) const;
    const std::string* find(const std::string& key) const;
    void set(const std::string& key, std::string value);
    void erase(const std::string& key);

    // Typed reads; throw ModelError naming the key when missing or malformed.
    std::string get_string(const std::string& key) const;
    std::int64_t get_int(const std::string& key) const;
    double get_float(const std::string& key) const;
    std::vector<std::int64_t> get_ints(const std::string& key) const;  // "1,2,3"
    std::vector<double> get_floats(const std::string& key) const;
    bool get_bool(const std::string& key) const;  // "true"/"false"

    std::string get_string_or(const std::string& key, const std::string& fallback) const;
    std::int64_t get_int_or(const std::string& key, std::int64_t fallback) const;

    const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }
    bool operator==(const Attributes&) const = default;

private:
    std::vector<std::pair<std::string, std::string>> items_;
};

std::string join_ints(const std::vector<std::int64_t>& values);  // "1,2,3"

// rt_info, of the model or of a layer: a tree of named elements, each with an optional value
// (<rt_info><model_info><labels value="..."/></model_info></rt_info>).
struct RtInfo {
    struct Child;
    std::string value;
    std::vector<Child> children;  // document order

    const RtInfo* child(const std::string& name) const;
    RtInfo& child_or_add(const std::string& name);
    // Path lookup "model_info/labels" -> value, or nullopt.
    std::optional<std::string> get(const std::string& path) const;
    void set(const std::string& path, std::string value);
    bool operator==(const RtInfo& other) const;
};

// A named struct rather than std::pair: clang cannot instantiate std::pair<std::string, RtInfo>
// inside RtInfo's own definition (its conditionally explicit constructors need RtInfo complete).
struct RtInfo::Child {
    std::string key;
    RtInfo info;
    bool operator==(const Child&) const = default;
};

struct Node {
    std::int64_t id = -1;
    std::string name;
    std::string type;               // opset op name: "Convolution", "Const", "Parameter", ...
    std::string version = "opset1"; // the opset the op type is taken from
    Attributes attrs;
    std::vector<Input> inputs;
    std::vector<Port> outputs;
    // Const only: the value's raw little-endian bytes (element type and shape in outputs[0]). Null
    // only in a graph read without its weights file (read_ir with WeightsPolicy::optional).
    std::shared_ptr<const std::vector<std::uint8_t>> data;
    // The layer's <rt_info> attributes by name ("old_api_map_order" -> "0, 2, 3, 1",
    // "decompression" -> ""), kept so that a model written back carries them.
    RtInfo rt_info;

    bool is(const char* op_type) const { return type == op_type; }
};

class Graph {
public:
    std::string name = "model";

    // Nodes in topological order is NOT guaranteed; call topological_order() when it matters.
    std::vector<Node>& nodes() { return nodes_; }
    const std::vector<Node>& nodes() const { return nodes_; }

    Node& add_node(Node node);  // assigns a fresh id when node.id < 0
    Node* find(std::int64_t id);
    const Node* find(std::int64_t id) const;
    Node& at(std::int64_t id);  // throws ModelError
    const Node& at(std::int64_t id) const;
    const Node* find_by_name(const std::string& name) const;

    // Parameters and Results in node order.
    std::vector<const Node*> parameters() const;
    std::vector<const Node*> results() const;

    // Every (node id, input index) that reads `source`.
    std::vector<std::pair<std::int64_t, int>> consumers(const Source& source) const;
    // Redirects every reader of `from` to `to`.
    void replace_uses(const Source& from, const Source& to);
    // Removes nodes that no Result depends on; returns how many were removed.
    std::size_t remove_dead_nodes();
    // Ids in an order where every node comes after its sources; throws ModelError on a cycle.
    std::vector<std::int64_t> topological_order() const;
    // Checks every input refers to an existing node and output port.
    void validate() const;

    // The output port a source refers to.
    const Port& port_of(const Source& source) const;

    RtInfo rt_info;

private:
    std::vector<Node> nodes_;
    std::int64_t next_id_ = 0;
};

// Convenience for building graphs in code (importers, passes, tests).
Node make_const(std::string name, ElementType type, Shape shape, std::vector<std::uint8_t> bytes);
Node make_const_f32(std::string name, Shape shape, const std::vector<float>& values);
Node make_const_i64(std::string name, Shape shape, const std::vector<std::int64_t>& values);
std::vector<float> const_as_f32(const Node& constant);
std::vector<std::int64_t> const_as_i64(const Node& constant);

}  // namespace detserve::graph
