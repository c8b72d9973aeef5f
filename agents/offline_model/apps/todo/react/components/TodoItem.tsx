export interface Todo {
  id: string;
  title: string;
  done: boolean;
}

interface Props {
  todo: Todo;
  onToggle: (id: string) => void;
  onDelete: (id: string) => void;
}

export default function TodoItem({ todo, onToggle, onDelete }: Props) {
  const inputId = `todo-${todo.id}`;
  return (
    <li className={todo.done ? 'todo done' : 'todo'}>
      <input id={inputId} type="checkbox" checked={todo.done} onChange={() => onToggle(todo.id)} />
      <label htmlFor={inputId}>{todo.title}</label>
      <button type="button" className="delete" aria-label={`Delete "${todo.title}"`} onClick={() => onDelete(todo.id)}>
        Delete
      </button>
    </li>
  );
}
