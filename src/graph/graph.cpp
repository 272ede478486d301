#include "detserve/graph/graph.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

namespace detserve::graph {

std::string shape_to_string(const Shape& shape) {
    std::string out = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) out += ",";
        out += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
    }
    return out + "]";
}

std::int64_t shape_elements(const Shape& shape) {
    std::int64_t n = 1;
    for (auto d : shape) {
        if (d < 0) return -1;
        n *= d;
    }
    return n;
}

std::string join_ints(const std::vector<std::int64_t>& values) {
    std::string out;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ",";
        out += std::to_string(values[i]);
    }
    return out;
}

// ---- Attributes -------------------------------------------------------------------------------

bool Attributes::has(const std::string& key) const { return find(key) != nullptr; }

const std::string* Attributes::find(const std::string& key) const {
    for (const auto& [k, v] : items_)
        if (k == key) return &v;
    return nullptr;
}

void Attributes::set(const std::string& key, std::string value) {
    for (auto& [k, v] : items_) {
        if (k == key) {
            v = std::move(value);
            return;
        }
    }
    items_.emplace_back(key, std::move(value));
}

void Attributes::erase(const std::string& key) {
    std::erase_if(items_, [&](const auto& item) { return item.first == key; });
}

namespace {

std::string trim(std::string_view text) {
    const auto begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string_view::npos) return {};
    const auto end = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(begin, end - begin + 1));
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> parts;
    if (trim(text).empty()) return parts;
    std::string item;
    std::istringstream stream(text);
    while (std::getline(stream, item, ',')) parts.push_back(trim(item));
    return parts;
}

std::optional<std::int64_t> parse_int(const std::string& text) {
    std::int64_t value = 0;
    const char* begin = text.data();
    const char* end = begin + text.size();
    auto [ptr, ec] = std::from_chars(begin, end, value);
    if (ec != std::errc() || ptr != end) return std::nullopt;
    return value;
}

std::optional<double> parse_float(const std::string& text) {
    if (text == "inf" || text == "+inf") return std::numeric_limits<double>::infinity();
    if (text == "-inf") return -std::numeric_limits<double>::infinity();
    double value = 0;
    const char* begin = text.data();
    const char* end = begin + text.size();
    auto [ptr, ec] = std::from_chars(begin, end, value);
    if (ec != std::errc() || ptr != end) return std::nullopt;
    return value;
}

[[noreturn]] void bad_attribute(const std::string& key, const std::string& value, const char* expected) {
    throw ModelError("attribute '" + key + "' = '" + value + "' is not " + expected);
}

}  // namespace

std::string Attributes::get_string(const std::string& key) const {
    const std::string* value = find(key);
    if (!value) throw ModelError("missing attribute '" + key + "'");
    return *value;
}

std::int64_t Attributes::get_int(const std::string& key) const {
    const std::string value = trim(get_string(key));
    auto parsed = parse_int(value);
    if (!parsed) bad_attribute(key, value, "an integer");
    return *parsed;
}

double Attributes::get_float(const std::string& key) const {
    const std::string value = trim(get_string(key));
    auto parsed = parse_float(value);
    if (!parsed) bad_attribute(key, value, "a number");
    return *parsed;
}

std::vector<std::int64_t> Attributes::get_ints(const std::string& key) const {
    std::vector<std::int64_t> out;
    const std::string value = get_string(key);
    for (const auto& part : split_list(value)) {
        auto parsed = parse_int(part);
        if (!parsed) bad_attribute(key, value, "a list of integers");
        out.push_back(*parsed);
    }
    return out;
}

std::vector<double> Attributes::get_floats(const std::string& key) const {
    std::vector<double> out;
    const std::string value = get_string(key);
    for (const auto& part : split_list(value)) {
        auto parsed = parse_float(part);
        if (!parsed) bad_attribute(key, value, "a list of numbers");
        out.push_back(*parsed);
    }
    return out;
}

bool Attributes::get_bool(const std::string& key) const {
    const std::string value = trim(get_string(key));
    if (value == "true" || value == "True" || value == "1") return true;
    if (value == "false" || value == "False" || value == "0") return false;
    bad_attribute(key, value, "a boolean");
}

std::string Attributes::get_string_or(const std::string& key, const std::string& fallback) const {
    const std::string* value = find(key);
    return value ? *value : fallback;
}

std::int64_t Attributes::get_int_or(const std::string& key, std::int64_t fallback) const {
    return has(key) ? get_int(key) : fallback;
}

// ---- RtInfo -----------------------------------------------------------------------------------

bool RtInfo::operator==(const RtInfo& other) const { return value == other.value && children == other.children; }

const RtInfo* RtInfo::child(const std::string& name) const {
    for (const auto& [key, node] : children)
        if (key == name) return &node;
    return nullptr;
}

RtInfo& RtInfo::child_or_add(const std::string& name) {
    for (auto& [key, node] : children)
        if (key == name) return node;
    children.push_back({name, RtInfo{}});
    return children.back().info;
}

std::optional<std::string> RtInfo::get(const std::string& path) const {
    const RtInfo* node = this;
    std::istringstream stream(path);
    std::string part;
    while (std::getline(stream, part, '/')) {
        node = node->child(part);
        if (!node) return std::nullopt;
    }
    return node->value;
}

void RtInfo::set(const std::string& path, std::string value) {
    RtInfo* node = this;
    std::istringstream stream(path);
    std::string part;
    while (std::getline(stream, part, '/')) node = &node->child_or_add(part);
    node->value = std::move(value);
}

// ---- Graph ------------------------------------------------------------------------------------

Node& Graph::add_node(Node node) {
    if (node.id < 0) node.id = next_id_;
    if (find(node.id)) throw ModelError("duplicate node id " + std::to_string(node.id) + " ('" + node.name + "')");
    next_id_ = std::max(next_id_, node.id + 1);
    nodes_.push_back(std::move(node));
    return nodes_.back();
}

Node* Graph::find(std::int64_t id) {
    for (auto& node : nodes_)
        if (node.id == id) return &node;
    return nullptr;
}

const Node* Graph::find(std::int64_t id) const { return const_cast<Graph*>(this)->find(id); }

Node& Graph::at(std::int64_t id) {
    Node* node = find(id);
    if (!node) throw ModelError("no node with id " + std::to_string(id));
    return *node;
}

const Node& Graph::at(std::int64_t id) const { return const_cast<Graph*>(this)->at(id); }

const Node* Graph::find_by_name(const std::string& name) const {
    for (const auto& node : nodes_)
        if (node.name == name) return &node;
    return nullptr;
}

std::vector<const Node*> Graph::parameters() const {
    std::vector<const Node*> out;
    for (const auto& node : nodes_)
        if (node.is("Parameter")) out.push_back(&node);
    return out;
}

std::vector<const Node*> Graph::results() const {
    std::vector<const Node*> out;
    for (const auto& node : nodes_)
        if (node.is("Result")) out.push_back(&node);
    return out;
}

std::vector<std::pair<std::int64_t, int>> Graph::consumers(const Source& source) const {
    std::vector<std::pair<std::int64_t, int>> out;
    for (const auto& node : nodes_)
        for (std::size_t i = 0; i < node.inputs.size(); ++i)
            if (node.inputs[i].source == source) out.emplace_back(node.id, static_cast<int>(i));
    return out;
}

void Graph::replace_uses(const Source& from, const Source& to) {
    const Port port = port_of(to);
    for (auto& node : nodes_)
        for (auto& input : node.inputs)
            if (input.source == from) {
                input.source = to;
                input.port = port;
            }
}

std::size_t Graph::remove_dead_nodes() {
    std::unordered_map<std::int64_t, const Node*> by_id;
    for (const auto& node : nodes_) by_id[node.id] = &node;
    std::set<std::int64_t> live;
    std::vector<std::int64_t> stack;
    for (const auto& node : nodes_)
        if (node.is("Result")) stack.push_back(node.id);
    while (!stack.empty()) {
        const auto id = stack.back();
        stack.pop_back();
        if (!live.insert(id).second) continue;
        auto it = by_id.find(id);
        if (it == by_id.end()) continue;
        for (const auto& input : it->second->inputs) stack.push_back(input.source.node);
    }
    const auto before = nodes_.size();
    std::erase_if(nodes_, [&](const Node& node) { return !live.count(node.id); });
    return before - nodes_.size();
}

std::vector<std::int64_t> Graph::topological_order() const {
    std::unordered_map<std::int64_t, std::size_t> index;
    for (std::size_t i = 0; i < nodes_.size(); ++i) index[nodes_[i].id] = i;
    enum class Mark { none, visiting, done };
    std::vector<Mark> marks(nodes_.size(), Mark::none);
    std::vector<std::int64_t> order;
    order.reserve(nodes_.size());
    // Iterative DFS so that deep graphs cannot overflow the stack.
    for (std::size_t root = 0; root < nodes_.size(); ++root) {
        if (marks[root] != Mark::none) continue;
        std::vector<std::pair<std::size_t, std::size_t>> stack{{root, 0}};
        marks[root] = Mark::visiting;
        while (!stack.empty()) {
            auto& [current, next_input] = stack.back();
            const Node& node = nodes_[current];
            if (next_input < node.inputs.size()) {
                const auto source = node.inputs[next_input++].source.node;
                auto it = index.find(source);
                if (it == index.end())
                    throw ModelError("layer '" + node.name + "' (id " + std::to_string(node.id) +
                                     ") reads from missing layer id " + std::to_string(source));
                if (marks[it->second] == Mark::visiting)
                    throw ModelError("cycle through layer '" + nodes_[it->second].name + "' (id " +
                                     std::to_string(source) + ")");
                if (marks[it->second] == Mark::none) {
                    marks[it->second] = Mark::visiting;
                    stack.emplace_back(it->second, 0);
                }
            } else {
                marks[current] = Mark::done;
                order.push_back(node.id);
                stack.pop_back();
            }
        }
    }
    return order;
}

void Graph::validate() const {
    std::set<std::int64_t> ids;
    for (const auto& node : nodes_)
        if (!ids.insert(node.id).second) throw ModelError("duplicate layer id " + std::to_string(node.id));
    for (const auto& node : nodes_) {
        for (std::size_t i = 0; i < node.inputs.size(); ++i) {
            const auto& source = node.inputs[i].source;
            const Node* producer = find(source.node);
            if (!producer || source.port < 0 || static_cast<std::size_t>(source.port) >= producer->outputs.size())
                throw ModelError("layer '" + node.name + "' (id " + std::to_string(node.id) + ") input " +
                                 std::to_string(i) + " refers to missing port " + std::to_string(source.port) +
                                 " of layer id " + std::to_string(source.node));
        }
    }
    topological_order();
}

const Port& Graph::port_of(const Source& source) const {
    const Node& producer = at(source.node);
    if (source.port < 0 || static_cast<std::size_t>(source.port) >= producer.outputs.size())
        throw ModelError("layer '" + producer.name + "' has no output " + std::to_string(source.port));
    return producer.outputs[static_cast<std::size_t>(source.port)];
}

// ---- constants --------------------------------------------------------------------------------

Node make_const(std::string name, ElementType type, Shape shape, std::vector<std::uint8_t> bytes) {
    Node node;
    node.name = std::move(name);
    node.type = "Const";
    node.attrs.set("element_type", std::string(to_string(type)));
    node.attrs.set("shape", join_ints(shape));
    node.outputs.push_back(Port{type, std::move(shape), {}, {}});
    node.data = std::make_shared<const std::vector<std::uint8_t>>(std::move(bytes));
    return node;
}

Node make_const_f32(std::string name, Shape shape, const std::vector<float>& values) {
    std::vector<std::uint8_t> bytes(values.size() * sizeof(float));
    std::memcpy(bytes.data(), values.data(), bytes.size());
    return make_const(std::move(name), ElementType::f32, std::move(shape), std::move(bytes));
}

Node make_const_i64(std::string name, Shape shape, const std::vector<std::int64_t>& values) {
    std::vector<std::uint8_t> bytes(values.size() * sizeof(std::int64_t));
    std::memcpy(bytes.data(), values.data(), bytes.size());
    return make_const(std::move(name), ElementType::i64, std::move(shape), std::move(bytes));
}

std::vector<float> const_as_f32(const Node& constant) {
    if (!constant.data || constant.outputs.empty()) throw ModelError("layer '" + constant.name + "' is not a constant");
    const auto type = constant.outputs[0].type;
    return to_f32(type, constant.data->data(), constant.data->size() / element_size(type));
}

std::vector<std::int64_t> const_as_i64(const Node& constant) {
    if (!constant.data || constant.outputs.empty()) throw ModelError("layer '" + constant.name + "' is not a constant");
    const auto type = constant.outputs[0].type;
    return to_i64(type, constant.data->data(), constant.data->size() / element_size(type));
}

}  // namespace detserve::graph
