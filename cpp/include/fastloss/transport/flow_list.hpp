// The positive flows of a transport plan, kept per column as short singly linked lists in one
// pool (no allocation per edge). A column of a basic plan carries few rows, so finding a row
// in its list is a short walk.
#pragma once

#include <cstdint>
#include <memory>

#include "fastloss/transport/ground_cost.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

struct FlowList {
    static constexpr std::int64_t kNone = -1;

    std::unique_ptr<std::int64_t[]> head;  // per column: first edge, or kNone
    std::unique_ptr<std::int64_t[]> row, col, next;
    std::unique_ptr<double[]> mass;
    std::int64_t capacity = 0, used = 0, free_head = kNone, count = 0;

    FlowList(index_t m, std::int64_t initial_capacity) : head(make_buffer<std::int64_t>(m)) {
        for (index_t j = 0; j < m; ++j) head[j] = kNone;
        grow(initial_capacity > 4 ? initial_capacity : 4);
    }

    /// The edge (i, j), or kNone.
    std::int64_t find(std::int64_t i, std::int64_t j) const {
        for (std::int64_t e = head[j]; e != kNone; e = next[e])
            if (row[e] == i) return e;
        return kNone;
    }

    /// Adds `amount` to the flow on (i, j), creating the edge if needed.
    void add(std::int64_t i, std::int64_t j, double amount) {
        const std::int64_t found = find(i, j);
        if (found != kNone) {
            mass[found] += amount;
            return;
        }
        std::int64_t e;
        if (free_head != kNone) {
            e = free_head;
            free_head = next[e];
        } else {
            if (used == capacity) grow(2 * capacity);
            e = used++;
        }
        row[e] = i;
        col[e] = j;
        mass[e] = amount;
        next[e] = head[j];
        head[j] = e;
        ++count;
    }

    /// Unlinks edge e from its column and recycles it.
    void remove(std::int64_t e) {
        std::int64_t* link = &head[col[e]];
        while (*link != e) link = &next[*link];
        *link = next[e];
        next[e] = free_head;
        free_head = e;
        row[e] = kNone;
        --count;
    }

    bool live(std::int64_t e) const { return row[e] != kNone; }

private:
    template <class V>
    void regrow(std::unique_ptr<V[]>& arr, std::int64_t new_capacity) const {
        std::unique_ptr<V[]> fresh = make_buffer<V>(new_capacity);
        for (std::int64_t e = 0; e < used; ++e) fresh[e] = arr[e];
        arr = std::move(fresh);
    }

    void grow(std::int64_t new_capacity) {
        regrow(row, new_capacity);
        regrow(col, new_capacity);
        regrow(next, new_capacity);
        regrow(mass, new_capacity);
        capacity = new_capacity;
    }
};

FASTLOSS_END_ISA_NAMESPACE
